# Quorum daemon image. Built by docker-compose.yml; runs
#   node dist/cli/main.js run --config /config/config.yaml --data-dir /data --api-port 8765 --api-host 0.0.0.0
# with the config mounted at /config/config.yaml and state in the /data volume.
# The API listens on every interface of the container, so Quorum refuses to start unless
# QUORUM_API_TOKEN (or QUORUM_API_TOKEN_FILE) is set: /api/ready and /metrics then need
# "Authorization: Bearer <token>" (/api/health stays open for health checks).

# Compile TypeScript. Install scripts are skipped: tsc needs no native modules.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, with native modules (better-sqlite3) built for this image.
# The toolchain is a fallback for when no prebuilt binary can be downloaded.
FROM node:20-bookworm-slim AS deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY skills ./skills
COPY bin ./bin
# A named volume mounted at /data starts out with this directory's owner.
RUN mkdir -p /data /config && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8765
CMD ["node", "dist/cli/main.js", "run", "--config", "/config/config.yaml", "--data-dir", "/data", "--api-port", "8765", "--api-host", "0.0.0.0"]
