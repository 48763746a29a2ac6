# 043_worker_control.pl — workers that stop when told and exist once
# (SPEC.md "Trust", "Fault isolation"):
#   (a) pg_terminate_backend of the launcher: it comes back by itself, and
#       every source still has exactly one worker (none started twice);
#       nothing is applied twice;
#   (b) a worker in the middle of a long batch (100,000 messages, a slow
#       window) stops within about a second of sw.pause_source, and of
#       pg_terminate_backend; the batch is rolled back and applied once
#       later;
#   (c) sw.drop_source rolled back with a savepoint leaves the worker
#       running; a transaction that administered a source cannot be
#       prepared;
#   (d) a worker stopped on request (pause) does not count as a failure:
#       resumed before it is gone, the source starts again at once, not
#       after sw.restart_delay.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'a:2', 'b:2', 'big:1', 'd:1' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('control', conf => "max_prepared_transactions = 2\nsw.batch_size = 100000\n");

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub workers
{
	return sql(q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'stream_windows source'});
}

# Seconds until $sql returns $expected (polled every 20 ms), or undef.
sub seconds_until
{
	my ($sql, $expected, $limit) = @_;
	my $t0 = time;
	while (time - $t0 < $limit)
	{
		return time - $t0 if sql($sql) eq $expected;
		usleep(20_000);
	}
	return undef;
}

# --- (a) the launcher terminated
for my $s ('a', 'b')
{
	sql(qq{SELECT sw.create_source('$s', '$bs', '$s', columns => 'n int');
		SELECT sw.create_window('${s}_w', '$s', 'count', 'count(*) AS c, sum(n) AS t', count => 100000);});
	$broker->produce($s, args => [ '--generate', 'seq', '--count', 500, '--partitions', 2 ]);
}
SwTest::applied($node, 'a', 500, '(a) source a applied');
SwTest::applied($node, 'b', 500, '(a) source b applied');
is(workers(), '2', '(a) one worker per source');
my $launcher = sql(q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'stream_windows launcher'});
ok($launcher, '(a) the launcher runs');
sql("SELECT pg_terminate_backend($launcher)");
SwTest::poll($node, qq{SELECT count(*) FROM pg_stat_activity
	WHERE backend_type = 'stream_windows launcher' AND pid <> $launcher}, '1',
	'(a) a new launcher comes back by itself');
$broker->produce($_, args => [ '--generate', 'seq', '--count', 500, '--partitions', 2 ]) for ('a', 'b');
SwTest::applied($node, 'a', 1000, '(a) source a goes on');
SwTest::applied($node, 'b', 1000, '(a) source b goes on');
# give a launcher that would start duplicates the time to do it
SwTest::poll($node, q{SELECT count(*) FROM sw.sources WHERE state = 'running'}, '2', '(a) both running');
usleep(1_500_000);
is(workers(), '2', '(a) still exactly one worker per source');
is(sql(q{SELECT (SELECT c || '/' || t FROM a_w) || ' ' || (SELECT c || '/' || t FROM b_w)}),
	'1000/249500 1000/249500', '(a) nothing applied twice');

# --- (b) stopping a worker mid-batch
sql(q{CREATE FUNCTION slow_tick(n int) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		IF n % 100 = 0 THEN PERFORM pg_sleep(0.05); END IF;
		RETURN true;
	END $$});
$broker->produce('big', args => [ '--generate', 'seq', '--count', 100_000, '-p', 0 ]);
sql(qq{SELECT sw.create_source('big', '$bs', 'big', columns => 'n int');
	SELECT sw.pause_source('big');});
sql(q{SELECT sw.create_window('big_w', 'big', 'count', 'count(*) AS c', count => 1000000,
	filter => 'slow_tick(n)')});
sql(q{SELECT sw.resume_source('big')});
# the batch of 100,000 is under way once the window's code runs
SwTest::poll($node, q{SELECT count(*) > 0 FROM pg_stat_activity
	WHERE backend_type = 'stream_windows source' AND wait_event = 'PgSleep'}, 't',
	'(b) a worker is in the middle of its batch');
my $t0 = time;
sql(q{SELECT sw.pause_source('big')});
my $took = seconds_until(q{SELECT count(*) FROM sw.sources WHERE name = 'big' AND pid IS NULL}, '1', 10);
ok(defined $took && $took < 1.5, sprintf('(b) paused mid-batch, the worker stopped in %.2f s', $took // -1));
is(sql(q{SELECT (SELECT coalesce(sum(next_offset), 0) FROM sw.source_partitions WHERE source_name = 'big')
		= (SELECT count(*) FROM big)
	AND (SELECT coalesce(sum(c), 0) FROM big_w) = (SELECT count(*) FROM big)}), 't',
	'(b) nothing of the interrupted batch was committed: staging, offsets and the window agree');
sql(q{SELECT sw.resume_source('big')});
SwTest::poll($node, q{SELECT count(*) > 0 FROM pg_stat_activity
	WHERE backend_type = 'stream_windows source' AND wait_event = 'PgSleep'}, 't',
	'(b) resumed, it is in the middle of the batch again');
my $pid = sql(q{SELECT pid FROM sw.sources WHERE name = 'big'});
sql("SELECT pg_terminate_backend($pid)");
$took = seconds_until(qq{SELECT count(*) FROM pg_stat_activity WHERE pid = $pid}, '0', 10);
ok(defined $took && $took < 1.5, sprintf('(b) pg_terminate_backend stopped it in %.2f s', $took // -1));
sql(q{SELECT sw.drop_window('big_w')});
SwTest::applied($node, 'big', 100_000, '(b) without the slow window, the batch is applied');
is(sql(q{SELECT count(*) || ' ' || count(DISTINCT kafka_offset) FROM big}), '100000 100000',
	'(b) staged exactly once');

# --- (c) rolled back and prepared administration
my $apid = sql(q{SELECT pid FROM sw.sources WHERE name = 'a'});
sql(q{BEGIN; SAVEPOINT s; SELECT sw.drop_source('a', cascade => true); ROLLBACK TO s; COMMIT;});
usleep(500_000);
is(sql(q{SELECT pid FROM sw.sources WHERE name = 'a'}), $apid,
	'(c) a drop rolled back to a savepoint leaves the worker running');
my ($rc, $out, $err) = $node->psql('postgres',
	q{BEGIN; SELECT sw.pause_source('b'); PREPARE TRANSACTION 'p1';});
like($err, qr/cannot PREPARE a transaction that created or administered a stream_windows source/,
	'(c) such a transaction cannot be prepared');
is(sql(q{SELECT count(*) FROM pg_prepared_xacts}), '0', '(c) nothing was prepared');
$broker->produce('a', args => [ '--generate', 'seq', '--count', 100, '--partitions', 2 ]);
SwTest::applied($node, 'a', 1100, '(c) source a still ingests');

# --- (d) a worker stopped on request is no failure: with a restart delay of
# a minute, a source paused and resumed in one transaction (its worker is
# stopped at commit, the source is not paused) starts again at once
sql(q{ALTER SYSTEM SET sw.restart_delay = '60s'});
$node->reload;
# a source whose worker this launcher started (a's and b's it adopted in (a))
sql(qq{SELECT sw.create_source('d', '$bs', 'd', columns => 'n int')});
$broker->produce('d', args => [ '--generate', 'seq', '--count', 100, '-p', 0 ]);
SwTest::applied($node, 'd', 100, '(d) source d applied');
my $old = sql(q{SELECT pid FROM sw.sources WHERE name = 'd'});
sql(q{BEGIN; SELECT sw.pause_source('d'); SELECT sw.resume_source('d'); COMMIT;});
$took = seconds_until(qq{SELECT pid IS NOT NULL AND pid <> $old FROM sw.sources WHERE name = 'd'},
	't', 20);
ok(defined $took, sprintf('(d) a new worker started in %.2f s, not after sw.restart_delay', $took // -1));
$broker->produce('d', args => [ '--generate', 'seq', '--count', 100, '-p', 0 ]);
SwTest::applied($node, 'd', 200, '(d) and it ingests');
sql(q{ALTER SYSTEM RESET sw.restart_delay});
$node->reload;

done_testing();
