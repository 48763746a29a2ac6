--
-- sw.create_source and friends: argument checks (nothing is created by a
-- bad call), privileges, the status views and secret masking.  No broker
-- is needed: a source pointed at a closed port just shows its error.
--
SET client_min_messages = warning;

-- every bad argument is refused, and nothing is created
SELECT sw.create_source(NULL, '127.0.0.1:1', 'events');
SELECT sw.create_source('ev', '', 'events');
SELECT sw.create_source('ev', '127.0.0.1:1', 'bad topic!');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', format => 'avro');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', format => 'csv');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', format => 'text', columns => 'a int');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', columns => 'a int); DROP TABLE pg_class; --');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', columns => 'a int, PRIMARY KEY (a)');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', columns => 'a no_such_type');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', columns => 'kafka_key text');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', start_from => 'yesterday at noon');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', start_from => 'infinity');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', retention => '1 month');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', retention => '-1 hour');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', retention => NULL);
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', options => '[]');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', options => '{"ssl": {"nested": 1}}');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', options => '{"no.such.property": "x"}');
SELECT sw.create_source('ev', '127.0.0.1:1', 'events', options => '{"enable.auto.commit": "true"}');
SELECT sw.create_source('no_schema.ev', '127.0.0.1:1', 'events');
SELECT count(*) AS sources FROM sw.source;
SELECT count(*) AS staging_tables FROM pg_class WHERE relname = 'ev';

-- administering what does not exist
SELECT sw.pause_source('nope');
SELECT sw.resume_source('nope');
SELECT sw.reset_source('nope', 'earliest');
SELECT sw.drop_source('nope');

-- a good one: every format's staging columns
SELECT sw.create_source('web', '127.0.0.1:1', 'web',
	columns => 'url text, ip inet, event_time timestamptz',
	options => '{"sasl.password": "hunter2", "ssl.key.pem": "KEY", "client.id": "demo",
	             "sasl.username": "me", "ssl.keystore.password": "pw", "security.protocol": "plaintext"}');
SELECT sw.create_source('raw_json', '127.0.0.1:1', 'web');
SELECT sw.create_source('lines', '127.0.0.1:1', 'web', format => 'text');
SELECT sw.create_source('public.rows_csv', '127.0.0.1:1', 'web', format => 'csv', columns => 'a int, b text');
SELECT sw.create_source('web', '127.0.0.1:1', 'web');
SELECT c.relname, c.relpersistence,
       string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE c.relname IN ('web', 'raw_json', 'lines', 'rows_csv')
GROUP BY 1, 2 ORDER BY 1;
SELECT name, topic, brokers, format FROM sw.sources ORDER BY name;
SELECT reset_val FROM pg_settings WHERE name = 'sw.database';

-- secrets: shown to superusers, masked for everyone else
SELECT options FROM sw.sources WHERE name = 'web';
CREATE ROLE sw_reader;
CREATE ROLE sw_admin LOGIN IN ROLE stream_windows_admin;
SET ROLE sw_reader;
-- a source is listed only to roles that may read its staging table
SELECT count(*) FROM sw.sources WHERE name = 'web';
RESET ROLE;
GRANT SELECT ON web TO sw_reader, sw_admin;
SET ROLE sw_reader;
SELECT options FROM sw.sources WHERE name = 'web';
SELECT * FROM sw.source;
-- only admins create sources, only owners administer them
SELECT sw.create_source('mine', '127.0.0.1:1', 'web');
SELECT sw.pause_source('web');
RESET ROLE;
SET ROLE sw_admin;
SELECT options FROM sw.sources WHERE name = 'web';
SELECT sw.pause_source('web');
SELECT sw.resume_source('web');
SELECT sw.create_source('admins_own', '127.0.0.1:1', 'web');
RESET ROLE;
GRANT CREATE ON SCHEMA public TO sw_admin;
SET ROLE sw_admin;
SELECT sw.create_source('admins_own', '127.0.0.1:1', 'web');
SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'admins_own';
-- its worker connects as the owner: a role that cannot log in cannot own one
RESET ROLE;
CREATE ROLE sw_nologin IN ROLE stream_windows_admin;
GRANT CREATE ON SCHEMA public TO sw_nologin;
SET ROLE sw_nologin;
SELECT sw.create_source('nologin_src', '127.0.0.1:1', 'web');
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM sw_nologin;
DROP ROLE sw_nologin;
SET ROLE sw_admin;
SELECT name, owner FROM sw.sources WHERE name = 'admins_own';
SELECT sw.pause_source('admins_own');
SELECT name, state FROM sw.sources WHERE name = 'admins_own';
SELECT sw.drop_source('admins_own');
RESET ROLE;

-- drop removes the table and the catalog rows
SELECT sw.drop_source('web');
SELECT sw.drop_source('raw_json');
SELECT sw.drop_source('lines');
SELECT sw.drop_source('rows_csv');
SELECT count(*) AS sources FROM sw.source;
SELECT count(*) AS staging_tables FROM pg_class WHERE relname IN ('web', 'raw_json', 'lines', 'rows_csv', 'admins_own');
REVOKE CREATE ON SCHEMA public FROM sw_admin;
DROP ROLE sw_reader;
DROP ROLE sw_admin;
