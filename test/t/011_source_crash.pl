# 011_source_crash.pl — exactly once through kill -9 of the worker (a
# cluster crash: every UNLOGGED table is emptied) and an immediate shutdown,
# both in the middle of ingest.  Afterwards the staging table holds every
# produced message exactly once and next_offset equals what was produced.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'crash:4' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('crash', conf => "sw.batch_size = 500\n");
$node->safe_psql('postgres', qq{
	SELECT sw.create_source('crash_events', '$bs', 'crash', columns => 'n int')});

sub staged_once
{
	my ($total, $what) = @_;
	SwTest::poll($node, q{SELECT sum(next_offset) FROM sw.source_partitions},
		$total, "$what: next_offset reaches every produced message", 120);
	SwTest::poll($node, q{SELECT state FROM sw.sources}, 'running',
		"$what: the source is running (done refetching)", 120);
	is($node->safe_psql('postgres', q{
		SELECT count(*) || ' ' || count(DISTINCT n) || ' ' || count(DISTINCT (kafka_partition, kafka_offset))
		FROM crash_events}),
		"$total $total $total", "$what: every message staged exactly once");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM sw.dead_letters'), '0',
		"$what: no dead letters");
}

# kill -9 of the worker in the middle of a paced stream
my $producer = $broker->produce_async('crash', args => [ '--generate', 'seq',
	'--count', 60000, '--partitions', 4, '--rate', 20000 ]);
SwTest::poll($node, 'SELECT count(*) > 5000 FROM crash_events', 't', 'ingest under way');
my $pid = SwTest::worker_pid($node, 'crash_events');
ok(kill('KILL', $pid), "kill -9 of worker $pid");
ok($producer->wait, 'the producer delivered everything');
# the postmaster crash-restarts every backend; wait until it answers again
SwTest::poll($node, 'SELECT 1', '1', 'the cluster is back after crash recovery', 120);
staged_once(60000, 'after kill -9');
my $log = slurp_file($node->logfile);
like($log, qr/restaging partition \d+ from offset/, 'the worker read the truncated messages again');

# immediate shutdown in the middle of the next stream
$producer = $broker->produce_async('crash', args => [ '--generate', 'seq',
	'--count', 60000, '--partitions', 4, '--rate', 20000 ]);
SwTest::poll($node, 'SELECT count(*) > 70000 FROM crash_events', 't', 'ingest under way again');
$node->stop('immediate');
$node->start;
ok($producer->wait, 'the producer delivered everything');
# seq numbers restart at 0, so n repeats: count offsets instead
SwTest::poll($node, q{SELECT sum(next_offset) FROM sw.source_partitions},
	'120000', 'after immediate shutdown: next_offset reaches every produced message', 120);
SwTest::poll($node, q{SELECT state FROM sw.sources}, 'running',
	'after immediate shutdown: the source is running', 120);
is($node->safe_psql('postgres', q{
	SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) || ' ' || count(DISTINCT n)
	FROM crash_events}),
	'120000 120000 60000', 'after immediate shutdown: every message staged exactly once');

# a plain worker restart (SIGTERM: the launcher starts it again) loses nothing
$pid = SwTest::worker_pid($node, 'crash_events');
kill 'TERM', $pid;
$broker->produce('crash', args => [ '--generate', 'seq', '--count', 1000, '--partitions', 4 ]);
SwTest::poll($node, q{SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM crash_events},
	'121000 121000', 'a restarted worker carries on without loss or duplicates');

$node->stop;
$broker->stop;
done_testing();
