import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './metrics.js';

describe('MetricsRegistry', () => {
  it('renders counters and histograms in Prometheus text format', () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter('x_total', 'Things.');
    counter.inc({ bot: 'calc' });
    counter.inc({ bot: 'calc' }, 2);
    const histogram = registry.histogram('lat_seconds', 'Latency.', [0.1, 1]);
    histogram.observe(0.05);
    histogram.observe(0.5);
    expect(registry.value('x_total', { bot: 'calc' })).toBe(3);
    expect(registry.render()).toBe(
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{bot="calc"} 3',
        '# HELP lat_seconds Latency.',
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{le="0.1"} 1',
        'lat_seconds_bucket{le="1"} 2',
        'lat_seconds_bucket{le="+Inf"} 2',
        'lat_seconds_sum 0.55',
        'lat_seconds_count 2',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values', () => {
    const registry = new MetricsRegistry();
    registry.counter('e_total', 'E.').inc({ where: 'a"b\\c' });
    expect(registry.render()).toContain('e_total{where="a\\"b\\\\c"} 1');
  });

  it('renders gauges and drops removed series', () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge('up', 'Up.');
    gauge.set(1, { server: 'a' });
    gauge.set(0, { server: 'b' });
    gauge.set(3, { server: 'a' });
    gauge.remove({ server: 'b' });
    expect(registry.value('up', { server: 'a' })).toBe(3);
    expect(registry.render()).toBe('# HELP up Up.\n# TYPE up gauge\nup{server="a"} 3\n');
  });
});
