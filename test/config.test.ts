import t from 'tap';
import { ConfigError, corsOrigins, loadConfig, trustedProxies } from '../src/config.js';

t.test('configuration from the environment', async (t) => {
  t.test('numbers arrive as text and are read as numbers, every one of them', async (t) => {
    const config = loadConfig({ PORT: '3100', EMBEDDED_PG_PORT: '54400', DATABASE_POOL_SIZE: '7', RECENT_STATES_PER_DECIDER: '0' });
    t.same(
      [config.PORT, config.EMBEDDED_PG_PORT, config.DATABASE_POOL_SIZE, config.RECENT_STATES_PER_DECIDER],
      [3100, 54400, 7, 0],
    );
  });

  t.test('defaults stand in for what is not set', async (t) => {
    const config = loadConfig({});
    t.equal(config.EMBEDDED_PG_PORT, 54320);
    t.equal(config.RECENT_STATES_PER_DECIDER, 5000);
  });

  t.test('tokens name their audience, and sessions have a maximum age and a reuse grace window, by default', async (t) => {
    const config = loadConfig({});
    t.same(
      [config.JWT_AUDIENCE, config.SESSION_MAX_AGE_SECONDS, config.REFRESH_REUSE_GRACE_SECONDS, config.OIDC_APP_REDIRECT],
      ['pams-api', 2_592_000, 10, undefined],
    );
    t.throws(() => loadConfig({ OIDC_APP_REDIRECT: 'javascript:alert(1)' }), { message: /OIDC_APP_REDIRECT/ });
    t.throws(() => loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '3600' }), { message: /REFRESH_REUSE_GRACE_SECONDS/ });
  });

  t.test('a malformed value stops the process with the variable named', async (t) => {
    const error = t.throws(() => loadConfig({ EMBEDDED_PG_PORT: 'fifty' }), { message: /EMBEDDED_PG_PORT: must be integer/ });
    t.ok(error instanceof ConfigError);
  });

  t.test('TRUST_PROXY is off unless set, and takes the proxies\' addresses and CIDR ranges', async (t) => {
    t.equal(trustedProxies(loadConfig({})), false);
    t.same(trustedProxies(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,fd00::/8, loopback' })), ['10.0.0.1', '192.168.0.0/16', 'fd00::/8', 'loopback']);
  });

  t.test('a TRUST_PROXY that trusts everyone or is not an address stops the process', async (t) => {
    for (const value of ['true', '10.0.0.300', '10.0.0.0/33', 'proxy.internal']) {
      t.throws(() => loadConfig({ TRUST_PROXY: value }), { message: /TRUST_PROXY: .* is not false, an address or a CIDR range/ }, value);
    }
  });

  t.test('a hop count for TRUST_PROXY is refused: it would trust a client that reaches the server directly', async (t) => {
    t.throws(() => loadConfig({ TRUST_PROXY: '1' }), { message: /TRUST_PROXY: a hop count trusts whoever connects/ });
  });
});

t.test('CORS_ORIGINS', async (t) => {
  t.test('is a comma-separated list of exact origins, none by default', async (t) => {
    t.same(corsOrigins(loadConfig({})), []);
    t.same(corsOrigins(loadConfig({ CORS_ORIGINS: 'https://a.example.org, http://localhost:5173' })), ['https://a.example.org', 'http://localhost:5173']);
  });

  t.test('refuses what is not an origin: a path, a wildcard, a missing scheme', async (t) => {
    for (const value of ['https://a.example.org/app', '*', 'a.example.org', 'https://a.example.org,']) {
      t.throws(() => loadConfig({ CORS_ORIGINS: value }), { message: /CORS_ORIGINS/ }, value);
    }
  });
});
