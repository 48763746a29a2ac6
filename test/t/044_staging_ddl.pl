# 044_staging_ddl.pl — what a DBA does to a staging table never crashes
# the server (SPEC.md "Trust", "DBA operations"):
#   (a) ALTER TABLE ... ALTER COLUMN ... TYPE on a staging column while the
#       source runs: the worker notices before staging a row, the source
#       shows 'error' with a last_error that says what happens, and it
#       starts again by itself with the table as it is now; no crash
#       restart (an UNLOGGED canary table keeps its row), nothing lost;
#   (b) DROP TABLE of a staging table by hand: the source shows 'error'
#       with a last_error naming sw.drop_source, and its worker is not
#       restarted in a tight loop.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'alt:1', 'gone:1' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('staging_ddl');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub produce
{
	my ($topic, $from, $to) = @_;
	$broker->produce($topic, input => join('', map { qq({"n": $_, "v": "$_"}\n) } $from .. $to),
		args => [ '-p', 0 ]);
}

# crash recovery empties UNLOGGED tables: a row here proves there was none
sql(q{CREATE UNLOGGED TABLE canary (x int); INSERT INTO canary VALUES (1)});

# --- (a) a column's type changed under a running source
sql(qq{SELECT sw.create_source('alt', '$bs', 'alt', columns => 'n int, v int');
	SELECT sw.create_window('alt_w', 'alt', 'count', 'count(*) AS c, sum(n) AS s', count => 1000);});
produce('alt', 1, 10);
SwTest::applied($node, 'alt', 10, '(a) first events applied');
sql(q{ALTER TABLE alt ALTER COLUMN v TYPE text});
produce('alt', 11, 20);
SwTest::applied($node, 'alt', 20, '(a) ingest goes on after the ALTER');
like(slurp_file($node->logfile), qr/staging table "alt" was altered while its source was running/,
	'(a) the worker noticed the change before staging a row, and said so');
is(sql(q{SELECT count(*) FROM canary}), '1', '(a) no crash restart (the UNLOGGED canary kept its row)');
is(sql(q{SELECT count(*) || ' ' || count(DISTINCT kafka_offset) || ' ' || pg_typeof(max(v)) FROM alt}),
	'20 20 text', '(a) every event staged once, into the new type');
is(sql(q{SELECT c || '/' || s FROM alt_w}), '20/210', '(a) the window is exact');
SwTest::poll($node, q{SELECT bool_and(high_watermark >= next_offset) FROM sw.source_partitions
	WHERE source_name = 'alt'}, 't', 'sw.source_partitions never shows high_watermark below next_offset');

# --- (b) the staging table dropped by hand
sql(qq{SELECT sw.create_source('gone', '$bs', 'gone', columns => 'n int')});
produce('gone', 1, 5);
SwTest::applied($node, 'gone', 5, '(b) first events applied');
sql(q{DROP TABLE gone});
produce('gone', 6, 7);
SwTest::poll($node, q{SELECT state FROM sw.sources WHERE name = 'gone'}, 'error', '(b) the source shows error');
like(sql(q{SELECT last_error FROM sw.sources WHERE name = 'gone'}), qr/sw\.drop_source/,
	'(b) last_error says what to do');
my $log = slurp_file($node->logfile);
my $starts_before = () = $log =~ /staging table (of source "gone" |with OID \d+ )no longer exists/g;
sleep 4;
$log = slurp_file($node->logfile);
my $starts_after = () = $log =~ /staging table (of source "gone" |with OID \d+ )no longer exists/g;
cmp_ok($starts_after - $starts_before, '<=', 3, '(b) no tight restart loop (at most 3 tries in 4 s)');
is(sql(q{SELECT count(*) FROM canary}), '1', '(b) still no crash restart');
# another role makes a table of the same name: it does not become the source's
sql(q{CREATE ROLE mallory LOGIN; GRANT CREATE ON SCHEMA public TO mallory; SET ROLE mallory;
	CREATE TABLE gone (kafka_partition int, kafka_offset bigint, kafka_timestamp timestamptz,
		kafka_key text, n int);});
sleep 2;
is(sql(q{SELECT (SELECT staging FROM sw.source WHERE name = 'gone') <> 'gone'::regclass
	AND (SELECT count(*) FROM gone) = 0}), 't',
	'(b) a new table of the dropped one\'s name is not taken over by the source');
sql(q{SELECT sw.drop_source('gone')});
is(sql(q{SELECT count(*) FROM pg_class WHERE relname = 'gone'}), '1', "(b) and dropping the source leaves mallory's table alone");
is(sql(q{SELECT count(*) FROM sw.sources WHERE name = 'gone'}), '0', '(b) the source can be dropped');

done_testing();
