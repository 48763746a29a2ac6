# 025_windows_write_plans.pl — a batch's writes find their rows through the
# identity index, however large the result table has grown.
#
# The worker's UPDATE statements are planned for each batch (result_writer.c).
# Left to its cost model, the planner met a batch of a few thousand rows with
# a sort or a hash of the whole result table as soon as the table outgrew the
# batch, so each batch cost time in proportion to the table, not to the batch.
# auto_explain, loaded into the cluster, logs the plans the worker runs: after
# 20,000 open sessions and count windows, a batch that extends 2,000 of them
# must be planned as index probes, and give the right rows; so must one
# on a server whose settings turn index scans and nested loops off.
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
});

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub produce
{
	my ($first, $last, $time) = @_;
	$broker->produce('plans',
		input => join('', map { qq({"k":"key$_","n":$_,"t":"2026-11-25T$time"}\n) } $first .. $last),
		args => [ '-p', 0 ]);
}

sql(qq{
SELECT sw.create_source('plans', '$bs', 'plans', columns => 'k text, n int, t timestamptz');
SELECT sw.create_window('plans_ses', 'plans', 'session', 'count(*) AS c, sum(n) AS s',
	group_by => 'k', event_time => 't', gap => '1 hour');
SELECT sw.create_window('plans_cnt', 'plans', 'count', 'count(*) AS c, sum(n) AS s',
	group_by => 'k', event_time => 't', count => 3);
});

produce(1, $keys, '12:00:00Z');
SwTest::applied($node, 'plans', $keys, 'every key has an open session and count window');
sql('ANALYZE plans_ses; ANALYZE plans_cnt');

# each UPDATE plan auto_explain logged since $from, as the text between two log lines
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
		unlike($plan, qr/Seq Scan on $table\b/, "$what: $table: an update does not read the whole table");
		like($plan, qr/Index Scan using \w+ on $table t/, "$what: $table: an update probes the identity index");
	}
	ok($seen{plans_ses} && $seen{plans_cnt}, "$what: the updates of both windows were logged")
	  or diag(substr($log, 0, 4000));
}

sub check_rows
{
	my ($what, $n2) = @_;
	is(sql(q{SELECT count(*) || ' ' || sum(c) || ' ' || sum(s) FROM plans_ses}),
		"$keys " . ($keys + $n2) . ' ' . ($keys * ($keys + 1) / 2 + $n2 * ($n2 + 1) / 2),
		"$what: sessions: one row a key, every event counted");
	is(sql(q{SELECT count(*) FILTER (WHERE c = 2) || ' ' || count(*) FROM plans_cnt}),
		"$n2 $keys", "$what: count windows: the touched keys hold two events");
}

my $from = -s $node->logfile;
produce(1, $touched, '12:10:00Z');
SwTest::applied($node, 'plans', $keys + $touched, "a second event for $touched keys applied");
check_rows('default settings', $touched);
check_plans($from, 'default settings');

# the server's settings turn index scans and nested loops off: the worker's
# writes still probe
sql('ALTER SYSTEM SET enable_indexscan = off');
sql('ALTER SYSTEM SET enable_nestloop = off');
$node->restart;
$from = -s $node->logfile;
produce($touched + 1, 2 * $touched, '12:10:00Z');
SwTest::applied($node, 'plans', $keys + 2 * $touched, "a second event for $touched more keys applied");
check_rows('index scans off', 2 * $touched);
check_plans($from, 'index scans off');

done_testing();
