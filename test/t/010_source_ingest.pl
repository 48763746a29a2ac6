# 010_source_ingest.pl — a source consumes a 4-partition topic into its
# staging table: exact rows and offsets, the status views, pause/resume,
# reset, drop while running.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'events:4', 'other:1' ]);
my $bs = $broker->bootstrap;
$broker->produce('events', args => [ '--generate', 'seq', '--count', 10000, '--partitions', 4 ]);

my $node = SwTest::node('ingest');

$node->safe_psql('postgres', qq{
	SELECT sw.create_source('public.seq_events', '$bs', 'events',
		columns => 'n int', start_from => 'earliest')});

SwTest::poll($node, 'SELECT sum(next_offset) FROM sw.source_partitions',
	'10000', 'all 10,000 messages applied');
is($node->safe_psql('postgres', q{
	SELECT count(*), count(DISTINCT n), min(n), max(n) FROM seq_events}),
	'10000|10000|0|9999', 'staging holds every message exactly once');
is($node->safe_psql('postgres', q{
	SELECT string_agg(kafka_partition || ':' || cnt || ':' || lo || '-' || hi, ' ' ORDER BY kafka_partition)
	FROM (SELECT kafka_partition, count(*) cnt, min(kafka_offset) lo, max(kafka_offset) hi
		  FROM seq_events GROUP BY 1) s}),
	'0:2500:0-2499 1:2500:0-2499 2:2500:0-2499 3:2500:0-2499',
	'2,500 messages per partition, offsets 0 to 2499');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM seq_events
	WHERE n % 4 <> kafka_partition OR kafka_key <> n::text OR kafka_timestamp IS NULL}),
	'0', 'keys, partitions and Kafka timestamps as produced');
SwTest::poll($node, q{
	SELECT string_agg(kafka_partition || ':' || next_offset || ':' || high_watermark || ':' || lag, ' ' ORDER BY 1)
	FROM sw.source_partitions WHERE source_name = 'public.seq_events'},
	'0:2500:2500:0 1:2500:2500:0 2:2500:2500:0 3:2500:2500:0',
	'sw.source_partitions shows offsets, high watermarks and no lag');
is($node->safe_psql('postgres', q{
	SELECT name, topic, format, state, pid IS NOT NULL, messages, dead_letters, last_error IS NULL
	FROM sw.sources}),
	'public.seq_events|events|json|running|t|10000|0|t', 'sw.sources shows the running source');
is($node->safe_psql('postgres', q{
	SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'seq_events'::regclass AND attnum > 0}),
	'kafka_partition integer, kafka_offset bigint, kafka_timestamp timestamp with time zone, kafka_key text, n integer',
	'staging columns as specified');
is($node->safe_psql('postgres', q{SELECT relpersistence FROM pg_class WHERE oid = 'seq_events'::regclass}),
	'u', 'the staging table is UNLOGGED');

# live: new messages arrive within a second or so
$broker->produce('events', args => [ '--generate', 'seq', '--count', 400, '--partitions', 4 ]);
SwTest::poll($node, 'SELECT count(*) FROM seq_events', '10400', 'new messages are ingested while running');

# pause: the worker stops and nothing is consumed; resume: it catches up
$node->safe_psql('postgres', q{SELECT sw.pause_source('public.seq_events')});
SwTest::poll($node, q{SELECT state || ':' || (pid IS NULL) FROM sw.sources},
	'paused:true', 'a paused source has no worker');
$broker->produce('events', args => [ '--generate', 'seq', '--count', 100, '--partitions', 4 ]);
is($node->safe_psql('postgres', 'SELECT count(*) FROM seq_events'), '10400',
	'nothing is ingested while paused');
$node->safe_psql('postgres', q{SELECT sw.resume_source('seq_events')});
SwTest::poll($node, 'SELECT count(*) FROM seq_events', '10500', 'resume catches up');
SwTest::poll($node, 'SELECT state FROM sw.sources', 'running', 'and the source runs again');

# a restart of the server: ingest resumes from the stored offsets, no duplicates
$node->restart;
$broker->produce('events', args => [ '--generate', 'seq', '--count', 100, '--partitions', 4 ]);
SwTest::poll($node, 'SELECT count(*) || ' . "':'" . ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM seq_events',
	'10600:10600', 'after a clean restart every message is staged once');

# reset: back to the start of the topic, staging emptied and filled again
$node->safe_psql('postgres', q{SELECT sw.reset_source('seq_events', 'earliest')});
SwTest::poll($node, q{SELECT count(*) || ':' || count(DISTINCT (kafka_partition, kafka_offset)) FROM seq_events},
	'10600:10600', 'reset to earliest reads the topic again, once');

# start_from latest: only messages produced after creation
$node->safe_psql('postgres', qq{
	SELECT sw.create_source('late_starter', '$bs', 'events', 'text', start_from => 'latest')});
SwTest::poll($node, q{SELECT count(*) FROM sw.source_partitions WHERE source_name = 'late_starter'},
	'4', 'start_from latest resolves the offsets of every partition');
$broker->produce('events', input => "plain text one\nplain text two\n", args => [ '-p', 2 ]);
SwTest::poll($node, q{SELECT string_agg(payload, ',' ORDER BY kafka_offset) FROM late_starter},
	'plain text one,plain text two', 'start_from latest stages only new messages');

# drop while running: table, catalog rows and worker go
my $pid = SwTest::worker_pid($node, 'late_starter');
ok(defined $pid, 'the source has a worker');
$node->safe_psql('postgres', q{SELECT sw.drop_source('late_starter')});
is($node->safe_psql('postgres', q{SELECT to_regclass('late_starter') IS NULL,
	(SELECT count(*) FROM sw.sources WHERE name = 'late_starter'),
	(SELECT count(*) FROM sw.source_partitions WHERE source_name = 'late_starter')}),
	't|0|0', 'drop_source removes the staging table and the catalog rows');
SwTest::poll($node, qq{SELECT count(*) FROM pg_stat_activity WHERE pid = $pid},
	'0', 'and its worker exits');
is($node->safe_psql('postgres', 'SELECT count(*) FROM seq_events'), '10600',
	'the other source is untouched');

# a staging table dropped by hand: the source shows why, and can still be dropped
$node->safe_psql('postgres', qq{
	SELECT sw.create_source('orphan', '$bs', 'other', 'text')});
SwTest::poll($node, q{SELECT state FROM sw.sources WHERE name = 'orphan'}, 'running', 'another source runs');
$node->safe_psql('postgres', 'DROP TABLE orphan');
$broker->produce('other', input => "a line\n");
SwTest::poll($node, q{SELECT last_error LIKE '%no longer exists%' FROM sw.sources WHERE name = 'orphan'},
	't', 'sw.sources says the staging table is gone');
$node->safe_psql('postgres', q{SELECT sw.drop_source('orphan')});
is($node->safe_psql('postgres', q{SELECT count(*) FROM sw.sources WHERE name = 'orphan'}), '0',
	'and the source can still be dropped');

$node->stop;
$broker->stop;
done_testing();
