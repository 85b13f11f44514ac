# kepd on Debian 12 / Node 20. Build: docker build -t kepd .
# Run:   docker run -p 587:587 -p 465:465 -p 993:993 -v kepd-data:/data kepd
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig*.json ./
COPY src ./src
COPY types ./types
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssl tini && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data --shell /usr/sbin/nologin kepd && mkdir -p /data && chown kepd /data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
USER kepd
ENV KEPD_HOST=0.0.0.0
VOLUME ["/data"]
EXPOSE 25 465 587 143 993 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
# First start creates /data with a development PKI for the domain in KEPD_DOMAIN.
CMD ["sh", "-c", "[ -f /data/kepd.toml ] || node bin/kepd.js init --data /data --domain ${KEPD_DOMAIN:-kep.localhost}; exec node bin/kepd.js start --data /data"]
