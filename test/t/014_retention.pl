# 014_retention.pl — staging retention, and offsets the broker no longer
# has: a paused source falls behind the broker's retention, and on resume
# the unreadable offsets become one dead-letter range (NULL payload) while
# ingest carries on from the broker's first offset.  Also kill -9 of the
# postmaster.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'ret:1', 'gone:1', 'big:8' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('retention');

# --- staging retention: rows go once they are older than retention
$node->safe_psql('postgres', qq{
	SELECT sw.create_source('short', '$bs', 'ret', columns => 'n int', retention => '2 seconds')});
$broker->produce('ret', args => [ '--generate', 'seq', '--count', 100 ]);
SwTest::poll($node, 'SELECT count(*) FROM short', '100', 'rows are staged');
SwTest::poll($node, 'SELECT count(*) FROM short', '0', 'and removed after retention');
is($node->safe_psql('postgres', q{
	SELECT next_offset || ' ' || staged_from FROM sw.source_offset o JOIN sw.source s ON s.id = o.source_id
	WHERE s.name = 'short'}), '100 100', 'staged_from follows retention, next_offset stays');
$broker->produce('ret', args => [ '--generate', 'seq', '--count', 10 ]);
SwTest::poll($node, 'SELECT min(kafka_offset) || ' . "'-'" . ' || max(kafka_offset) FROM short', '100-109',
	'new rows are staged after a retention pass');
# a crash empties staging: only what retention had kept is read again
$node->stop('immediate');
$node->start;
SwTest::poll($node, q{SELECT state FROM sw.sources WHERE name = 'short'}, 'running',
	'the short-retention source runs after the crash');
is($node->safe_psql('postgres', q{
	SELECT count(*) = count(DISTINCT kafka_offset) AND coalesce(min(kafka_offset), 100) >= 100
	FROM short}), 't', 'after a crash nothing below staged_from is restaged, nothing twice');

# --- a large staging table is swept a range of blocks per run: no run
# reads the whole table.  80,000 rows of ~260 bytes (~2,500 blocks, more
# than twice the 1,024 a run covers at least); retention 40 seconds makes
# a sweep two runs (a quarter of the retention, a run every 5 seconds).
# While the sweep is half done, staged_from has already moved past every
# row (catch-up and restaging take them as gone), and the next run
# deletes the rest.
$node->safe_psql('postgres', qq{
	SELECT sw.create_source('big', '$bs', 'big', columns => 'n int, pad text', retention => '40 seconds')});
my $wide = 'x' x 200;
$broker->produce('big', input => join('', map { qq({"n":$_,"pad":"$wide"}\n) } 1 .. 80000),
	args => [ '--partitions', 8 ]);
SwTest::poll($node, 'SELECT count(*) FROM big', '80000', 'a large staging table is filled');
cmp_ok($node->safe_psql('postgres', q{SELECT pg_relation_size('big') / 8192}), '>', 2048,
	'it is more than two runs of retention large');
SwTest::poll($node, q{
	SELECT count(*) BETWEEN 1 AND 79999 AND
		(SELECT sum(staged_from) FROM sw.source_offset o JOIN sw.source s ON s.id = o.source_id
		 WHERE s.name = 'big') = 80000
	FROM big}, 't',
	'retention deletes part of the table in a run, staged_from past every row already');
SwTest::poll($node, 'SELECT count(*) FROM big', '0', 'the next run deletes the rest');
$node->safe_psql('postgres', q{SELECT sw.drop_source('big')});

# --- offsets the broker dropped while the source was paused
$node->safe_psql('postgres', qq{
	SELECT sw.create_source('gone_src', '$bs', 'gone', columns => 'n int')});
$broker->produce('gone', args => [ '--generate', 'seq', '--count', 1000 ]);
SwTest::poll($node, 'SELECT count(*) FROM gone_src', '1000', 'first 1,000 messages ingested');
$node->safe_psql('postgres', q{SELECT sw.pause_source('gone_src')});
SwTest::poll($node, q{SELECT pid IS NULL FROM sw.sources WHERE name = 'gone_src'}, 't',
	'the paused source has no worker');

# about 7 MB of 1 kB messages: more than the mock broker keeps per partition
my $pad = 'x' x 1000;
my $input = join('', map { qq({"n": $_, "pad": "$pad"}\n) } 1000 .. 7999);
$broker->produce('gone', input => $input);
my $out = $broker->produce('gone', input => '', args => [ '--print-offsets', '-p', 0 ]);
note $out;

$node->safe_psql('postgres', q{SELECT sw.resume_source('gone_src')});
SwTest::poll($node, q{SELECT next_offset FROM sw.source_partitions WHERE source_name = 'gone_src'},
	'8000', 'after resume next_offset reaches the end of the partition');
my ($first, $end, $payload_null, $staged_min, $staged) = split /\|/, $node->safe_psql('postgres', q{
	SELECT d.kafka_offset, d.kafka_offset_end, d.payload IS NULL,
		   (SELECT min(kafka_offset) FROM gone_src WHERE kafka_offset >= 1000),
		   (SELECT count(*) FROM gone_src)
	FROM sw.dead_letters d WHERE d.source_name = 'gone_src'});
is($first, '1000', 'the unreadable range starts at the old next_offset');
ok(defined $end && $end >= 1000 && $end < 7999, "and ends before the broker's first offset ($end)");
is($payload_null, 't', 'with a NULL payload');
is($staged_min, $end + 1, 'ingest carried on at the first offset the broker still has');
is($staged, 1000 + 8000 - ($end + 1), 'every offset is either staged or in the range, exactly once');
is($node->safe_psql('postgres', q{SELECT count(*) FROM sw.dead_letters WHERE source_name = 'gone_src'}),
	'1', 'one dead-letter row for the whole range');

# --- kill -9 of the postmaster: the workers exit with it; restart loses nothing
my $wpid = SwTest::worker_pid($node, 'gone_src');
$node->kill9;
my $deadline = time + 30;
usleep(100_000) while kill(0, $wpid) && time < $deadline;
ok(!kill(0, $wpid), 'the worker exits with the postmaster');
$node->start;
$broker->produce('gone', args => [ '--generate', 'seq', '--count', 100 ]);
SwTest::poll($node, q{SELECT next_offset FROM sw.source_partitions WHERE source_name = 'gone_src'},
	'8100', 'after kill -9 of the postmaster ingest goes on');
SwTest::poll($node, q{SELECT count(*) = count(DISTINCT kafka_offset) AND max(kafka_offset) = 8099 FROM gone_src},
	't', 'restaged without duplicates');

$node->stop;
$broker->stop;
done_testing();
