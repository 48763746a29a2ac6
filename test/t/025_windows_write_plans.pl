# 025_windows_write_plans.pl — a batch's writes find their rows one probe
# each, however large the result table and whatever the planner believes.
#
# The worker's UPDATE statements are planned for each batch (result_writer.c).
# Left to its cost model, the planner met a batch of a few thousand rows with
# a sort or a hash of the whole result table once the table outgrew the
# batch, so each batch cost time in proportion to the table; and, with
# statistics taken while most rows were closed, it read the open rows on the
# outside of a nested loop and the batch once for each of them (80 s for one
# batch).  auto_explain, loaded into the cluster, logs the plans the worker
# runs, with their row counts: the batch must be read once, and the result
# table only at the rows it names (an index probe, a TID), never scanned
# whole, under stale statistics and on a server whose settings turn index
# scans and nested loops off.  The rows must be right too.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $keys = 20_000;
my $touched = 2_000;

my $broker = SwTest::Broker->start(topics => ['plans:1']);
my $bs = $broker->bootstrap;
my $node = SwTest::node('plans', conf => qq{
timezone = 'UTC'
shared_preload_libraries = 'stream_windows,auto_explain'
auto_explain.log_min_duration = 0
auto_explain.log_nested_statements = on
auto_explain.log_analyze = on
auto_explain.log_timing = off
});

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $produced = 0;

# one event for each key of $first .. $last, at $time on 2026-11-25 + $day
sub produce
{
	my ($first, $last, $day, $time) = @_;
	$broker->produce('plans',
		input => join('', map { qq({"k":"key$_","n":1,"t":"2026-11-${\ (25 + $day)}T$time"}\n) } $first .. $last),
		args => [ '-p', 0 ]);
	$produced += $last - $first + 1;
	SwTest::applied($node, 'plans', $produced, "events up to $produced applied");
}

sql(qq{
SELECT sw.create_source('plans', '$bs', 'plans', columns => 'k text, n int, t timestamptz');
SELECT sw.create_window('plans_ses', 'plans', 'session', 'count(*) AS c, sum(n) AS s',
	group_by => 'k', event_time => 't', gap => '1 hour');
SELECT sw.create_window('plans_cnt', 'plans', 'count', 'count(*) AS c, sum(n) AS s',
	group_by => 'k', event_time => 't', count => 3);
});

# Every UPDATE of a result table auto_explain logged since $from: the batch
# (the ProjectSet of its arrays) is read once, and every scan of the result
# table is a TID scan or an index scan with an index condition.
sub check_plans
{
	my ($from, $what) = @_;
	my $log = slurp_file($node->logfile, $from);
	my @plans = grep { /Query Text: UPDATE public\.plans_(ses|cnt) t SET \(/ } split /\n(?=\S)/, $log;
	my %seen;
	for my $plan (@plans)
	{
		my ($table) = $plan =~ /UPDATE public\.(plans_\w+) t/;
		$seen{$table}++;
		my @loops = $plan =~ /ProjectSet .*\(actual rows=\d+ loops=(\d+)\)/g;
		ok(@loops && !grep({ $_ != 1 } @loops), "$what: $table: the batch is read once")
		  or diag($plan);
		my @whole = grep {
			/^((?:\w+ )*Scan)(?: Backward)?(?: using \S+)? on $table\b/
			  && $1 ne 'Tid Scan' && !/Index Cond:|Recheck Cond:/
		} split /\n\s*->\s*/, $plan;
		is(scalar(@whole), 0, "$what: $table: the table is read only at the rows the batch names")
		  or diag($plan);
	}
	ok($seen{plans_ses} && $seen{plans_cnt}, "$what: the updates of both windows were logged")
	  or diag(substr($log, 0, 4000));
}

# Both windows: $keys rows a day, three events each but on the last day, one
# there, two for $n2 keys
sub check_rows
{
	my ($what, $days, $n2) = @_;
	is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE c = 2) || ' ' || sum(c) FROM plans_ses}),
		($keys * $days) . " $n2 " . ($keys * (3 * $days - 2) + $n2), "$what: session rows");
	is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE c = 2) || ' ' || sum(c) FROM plans_cnt}),
		($keys * $days) . " $n2 " . ($keys * (3 * $days - 2) + $n2), "$what: count window rows");
}

# Day 0: three events a key.  Count windows complete (closed); the sessions
# close when the watermark passes the end of the day.  ANALYZE then sees
# only closed rows.
produce(1, $keys, 0, '12:00:00Z') for 1 .. 3;
sql(q{SELECT sw.advance_watermark('plans_ses', '2026-11-26 00:00+00')});
SwTest::poll($node, q{SELECT open_windows FROM sw.windows WHERE name = 'plans_ses'}, '0',
	'the sessions of day 0 closed');
sql('ANALYZE plans_ses; ANALYZE plans_cnt');

# Day 1: one event a key opens $keys sessions and count windows, which the
# statistics do not know of; a second event for $touched of them.
produce(1, $keys, 1, '12:00:00Z');
my $from = -s $node->logfile;
produce(1, $touched, 1, '12:10:00Z');
check_rows('statistics from closed rows', 2, $touched);
check_plans($from, 'statistics from closed rows');

# the server's settings turn index scans and nested loops off: the worker's
# writes still probe
sql('ALTER SYSTEM SET enable_indexscan = off');
sql('ALTER SYSTEM SET enable_nestloop = off');
$node->restart;
$from = -s $node->logfile;
produce($touched + 1, 2 * $touched, 1, '12:10:00Z');
check_rows('index scans off', 2, 2 * $touched);
check_plans($from, 'index scans off');

done_testing();
