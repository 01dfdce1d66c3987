# syntax=docker/dockerfile:1
# Multi-stage build: compile with dev dependencies, install production dependencies apart,
# run on a slim Node 24 (LTS) image as a non-root user. Every RUN here is a plain command that
# also runs on a workstation (see README, "Docker").

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8010 \
    DATABASE_TYPE=postgresql \
    UPLOAD_DIR=/app/var/uploads \
    RESUME_DIR=/app/var/resumes \
    DATA_DIR=/app/var/data
WORKDIR /app
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
RUN mkdir -p /app/var/uploads /app/var/resumes /app/var/data && chown -R node:node /app/var
USER node
EXPOSE 8010
VOLUME ["/app/var"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8010)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Migrations run at start, under a PostgreSQL advisory lock (replicas booting together are safe);
# `node dist/src/cli/migrate.js` runs them alone as a one-off release step.
CMD ["node", "--max-semi-space-size=16", "dist/src/main.js"]
