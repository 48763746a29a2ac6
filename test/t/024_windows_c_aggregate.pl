# 024_windows_c_aggregate.pl — a C aggregate that uses all of fmgr's
# aggregate API (AggCheckCallContext, AggGetAggref, AggGetTempMemoryContext;
# test/sw_test_agg.c) in every kind of window: its transition, combine,
# serial, deserial and final functions run on the windows' own AggState,
# and each checks the API's answers (an error there would be a window
# error, a missing context a crash).  Its results must equal sum() in the
# same windows: live, after late events merged into final rows, and after
# a restart (states read back through the deserial function).
use strict;
use warnings;
use Cwd qw(abs_path);
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $module = abs_path('test/sw_test_agg.so');
plan skip_all => "test/sw_test_agg.so is not built (make tools)" unless -e $module;

my $broker = SwTest::Broker->start(topics => ['cagg:1']);
my $bs = $broker->bootstrap;
my $node = SwTest::node('cagg', conf => "timezone = 'UTC'\n");

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub produce
{
	my @events = @_;
	$broker->produce('cagg',
		input => join('', map { qq({"k":"$_->[0]","n":$_->[1],"t":"2026-11-25T$_->[2]Z"}\n) } @events),
		args => [ '-p', 0 ]);
}

sql(qq{
CREATE FUNCTION test_sum_trans(internal, int4) RETURNS internal
	AS '$module', 'sw_test_sum_trans' LANGUAGE C;
CREATE FUNCTION test_sum_combine(internal, internal) RETURNS internal
	AS '$module', 'sw_test_sum_combine' LANGUAGE C;
CREATE FUNCTION test_sum_serial(internal) RETURNS bytea
	AS '$module', 'sw_test_sum_serial' LANGUAGE C STRICT;
CREATE FUNCTION test_sum_deserial(bytea, internal) RETURNS internal
	AS '$module', 'sw_test_sum_deserial' LANGUAGE C STRICT;
CREATE FUNCTION test_sum_final(internal) RETURNS text
	AS '$module', 'sw_test_sum_final' LANGUAGE C;
CREATE AGGREGATE sw_test_sum(int4) (SFUNC = test_sum_trans, STYPE = internal,
	COMBINEFUNC = test_sum_combine, SERIALFUNC = test_sum_serial,
	DESERIALFUNC = test_sum_deserial, FINALFUNC = test_sum_final);
SELECT sw.create_source('cagg', '$bs', 'cagg', columns => 'k text, n int, t timestamptz');
SELECT sw.create_window('cagg_tum', 'cagg', 'tumbling', 'sw_test_sum(n) AS c, sum(n) AS s',
	group_by => 'k', event_time => 't', size => '1 minute', allowed_lateness => '10 minutes');
SELECT sw.create_window('cagg_ses', 'cagg', 'session', 'sw_test_sum(n) AS c, sum(n) AS s',
	group_by => 'k', event_time => 't', gap => '30 seconds', allowed_lateness => '10 minutes');
SELECT sw.create_window('cagg_cnt', 'cagg', 'count', 'sw_test_sum(n) AS c, sum(n) AS s',
	group_by => 'k', event_time => 't', count => 3);
});

# the aggregate's answer for each row is "<sum>/1 args"; it must match sum()
sub check
{
	my ($what) = @_;
	is(sql(q{
		SELECT string_agg(w || ':' || n || ':' || bad, ' ' ORDER BY w) FROM (
			SELECT 'tum' AS w, count(*) AS n, count(*) FILTER (WHERE c <> s || '/1 args') AS bad FROM cagg_tum
			UNION ALL SELECT 'ses', count(*), count(*) FILTER (WHERE c <> s || '/1 args') FROM cagg_ses
			UNION ALL SELECT 'cnt', count(*), count(*) FILTER (WHERE c <> s || '/1 args') FROM cagg_cnt) x}),
		sql(q{SELECT 'cnt:' || (SELECT count(*) FROM cagg_cnt) || ':0 ses:' || (SELECT count(*) FROM cagg_ses)
			|| ':0 tum:' || (SELECT count(*) FROM cagg_tum) || ':0'}),
		"$what: every row's C aggregate equals sum()");
	is(sql(q{SELECT sum(errors) FROM sw.windows WHERE name LIKE 'cagg_%'}), '0',
		"$what: no window error (the API answered every support function)");
	is(sql(q{SELECT string_agg(state, ' ') FROM sw.windows WHERE name LIKE 'cagg_%'}),
		'running running running', "$what: the windows run");
}

# two keys, sessions that merge, count windows that complete
produce([ 'a', 1, '12:00:01' ], [ 'b', 2, '12:00:02' ], [ 'a', 3, '12:00:40' ],
	[ 'a', 4, '12:00:20' ], [ 'b', 5, '12:01:10' ], [ 'a', 6, '12:02:30' ]);
SwTest::applied($node, 'cagg', 6, 'first events applied');
check('live');
is(sql(q{SELECT sum(s) || ' ' || sum(c::text::int) FROM (SELECT s, split_part(c, '/', 1) AS c FROM cagg_tum) x}),
	'21 21', 'the tumbling window holds every event');

# late events merged into final rows: deserial, combine, serial again
produce([ 'a', 10, '12:00:05' ], [ 'b', 20, '12:01:15' ], [ 'a', 30, '12:00:30' ]);
SwTest::applied($node, 'cagg', 9, 'late events applied');
check('late events merged');
cmp_ok(sql(q{SELECT sum(late_merged) FROM sw.windows WHERE name LIKE 'cagg_%'}), '>', 0,
	'some were merged into final rows');

# a restart reads the states back (deserial) and goes on
$node->restart;
produce([ 'a', 100, '12:03:00' ], [ 'b', 200, '12:00:03' ], [ 'a', 300, '12:03:10' ]);
SwTest::applied($node, 'cagg', 12, 'events after a restart applied');
check('after a restart');
is(sql(q{SELECT sum(s) FROM cagg_cnt}), '681', 'the count windows hold every event');

$node->stop;
$broker->stop;
done_testing();
