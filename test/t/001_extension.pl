# 001_extension.pl — the extension in a real cluster: preloading, the GUCs,
# CREATE/DROP EXTENSION, who may install it, and the ad-hoc functions
# surviving a restart.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ext');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'stream_windows'
sw.database = 'postgres'
});
$node->start;

is($node->safe_psql('postgres', 'SHOW sw.database'), 'postgres',
	'sw.database is defined by the preloaded library');

$node->safe_psql('postgres', 'CREATE EXTENSION stream_windows');
is($node->safe_psql('postgres',
	"SELECT extversion FROM pg_extension WHERE extname = 'stream_windows'"),
	'0.2', 'extension installed at version 0.2 (0.1 and the update script)');

is($node->safe_psql('postgres', q{
	SELECT string_agg(p.proname || ':' || p.prokind::text, ',' ORDER BY p.proname)
	FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname = 'sw' AND p.proname IN ('tumble', 'hop', 'session_start', 'count_window')}),
	'count_window:w,hop:f,session_start:w,tumble:f',
	'schema sw holds the four ad-hoc functions, two of them window functions');

# a reserved prefix: a misspelt sw.* setting is refused
my ($rc, $out, $err) = $node->psql('postgres', "SET sw.no_such_setting = 1");
isnt($rc, 0, 'unknown sw.* parameter is rejected');
like($err, qr/invalid configuration parameter name|unrecognized configuration parameter/,
	'with a clear message');

# only superusers install it (superuser = true in the control file)
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('postgres', 'CREATE ROLE alice LOGIN; GRANT CREATE ON DATABASE other TO alice');
($rc, $out, $err) = $node->psql('other', 'CREATE EXTENSION stream_windows',
	extra_params => [ '-U', 'alice' ]);
isnt($rc, 0, 'a non-superuser cannot create the extension');
like($err, qr/permission denied to create extension "stream_windows"/,
	'and is told why');
is($node->safe_psql('other', "SELECT count(*) FROM pg_namespace WHERE nspname = 'sw'"),
	'0', 'nothing was created');

# ...but anyone may use the ad-hoc functions once it is installed
$node->safe_psql('other', 'CREATE EXTENSION stream_windows');
is($node->safe_psql('other', q{
	SELECT (sw.tumble('2026-11-25 12:34:56+00', '15 minutes')).window_start = '2026-11-25 12:30:00+00'},
	extra_params => [ '-U', 'alice' ]),
	't', 'a plain user can call sw.tumble');

# the results survive a restart and do not depend on the server's TimeZone
$node->append_conf('postgresql.conf', "timezone = 'Asia/Kolkata'");
$node->restart;
is($node->safe_psql('other', q{
	SELECT extract(epoch FROM window_start)::bigint FROM sw.hop('2026-11-25 12:07:00+00', '1 day', '12 hours')}),
	"1795564800\n1795608000",
	'sw.hop gives the same instants under another server TimeZone');

# DROP EXTENSION removes everything it made
$node->safe_psql('other', 'DROP EXTENSION stream_windows');
is($node->safe_psql('other', q{
	SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname = 'sw'}), '0', 'DROP EXTENSION removes the functions');
is($node->safe_psql('other', "SELECT count(*) FROM pg_type WHERE typname = 'window_bounds'"),
	'0', 'and the window_bounds type');

$node->stop;

# without shared_preload_libraries: the ad-hoc functions work, and what
# needs the workers says how to get them (no FATAL at CREATE EXTENSION)
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
($rc, $out, $err) = $plain->psql('postgres', 'CREATE EXTENSION stream_windows');
is($rc, 0, 'CREATE EXTENSION works without shared_preload_libraries');
is($plain->safe_psql('postgres', q{
	SELECT (sw.tumble('2026-11-25 12:34:56+00', '15 minutes')).window_start = '2026-11-25 12:30:00+00'}),
	't', 'and the ad-hoc functions work');
($rc, $out, $err) = $plain->psql('postgres',
	q{SELECT sw.create_source('s', '127.0.0.1:1', 't', columns => 'n int')});
like($err, qr/not loaded through shared_preload_libraries.*HINT:.*shared_preload_libraries/s,
	'a source needs the preloaded library, and the hint says so');
is($plain->safe_psql('postgres', 'SELECT count(*) FROM sw.sources'), '0', 'the views work too');
$plain->stop;
done_testing();
