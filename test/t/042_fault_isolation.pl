# 042_fault_isolation.pl — one bad event, window or user never stops a
# source (SPEC.md "Trust", "Fault isolation"):
#   (a) a window whose filter divides by zero on one event: that event is
#       skipped by that window alone and recorded in sw.window_errors; the
#       staging table, the offsets and the other window are exact; a
#       restart replays neither the event nor its record;
#   (b) a user function that sleeps past sw.expression_timeout is that
#       event's error, not a stalled source;
#   (c) a CHECK constraint added to a result table suspends that window
#       (state 'error', last_error); the source and the other window go on;
#       once the constraint is dropped, sw.resume_window catches up exactly;
#   (d) a window suspended while retention removes staged rows records the
#       range it lost, once per partition, when it is resumed;
#   (e) limits at create time: sliding windows per event, aggregate calls.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'div:1', 'slow:1', 'chk:1', 'ret:1' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('isolation', conf => "sw.expression_timeout = '400ms'\n");

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub produce
{
	my ($topic, $from, $to) = @_;
	$broker->produce($topic, input => join('', map { qq({"n": $_}\n) } $from .. $to),
		args => [ '-p', 0 ]);
}

# --- (a) division by zero in one window's filter
sql(qq{SELECT sw.create_source('div', '$bs', 'div', columns => 'n int');
	SELECT sw.create_window('div_good', 'div', 'count', 'count(*) AS c, sum(n) AS s', count => 1000);
	SELECT sw.create_window('div_bad', 'div', 'count', 'count(*) AS c, sum(n) AS s', count => 1000,
		filter => '100 / (n - 5) > -1000');});
produce('div', 0, 19);
SwTest::applied($node, 'div', 20, '(a) every message applied: the source did not stop');
is(sql(q{SELECT count(*) || ' ' || min(kafka_offset) || ' ' || max(kafka_offset) FROM div}),
	'20 0 19', '(a) staging holds every event');
is(sql(q{SELECT c || '/' || s FROM div_good}), '20/190', '(a) the other window is exact');
is(sql(q{SELECT c || '/' || s FROM div_bad}), '19/185',
	'(a) the failing window skipped exactly the event n = 5');
is(sql(q{SELECT window_name || ' ' || kafka_partition || ' ' || kafka_offset || ' '
	|| coalesce(kafka_offset_end::text, 'null') || ' ' || error FROM sw.window_errors}),
	'div_bad 0 5 null division by zero', '(a) sw.window_errors holds the event and its error');
is(sql(q{SELECT string_agg(name || '=' || errors || '/' || state, ' ' ORDER BY name) FROM sw.windows}),
	'div_bad=1/running div_good=0/running', '(a) sw.windows.errors counts it; both windows run');
is(sql(q{SELECT count(*) FROM sw.dead_letters}), '0', '(a) a window error is not a dead letter');
$node->restart;
produce('div', 20, 24);
SwTest::applied($node, 'div', 25, '(a) after a restart ingest goes on');
is(sql(q{SELECT (SELECT c || '/' || s FROM div_good) || ' ' || (SELECT c || '/' || s FROM div_bad)
	|| ' ' || (SELECT count(*) FROM sw.window_errors)}),
	'25/300 24/295 1', '(a) exactly once: nothing applied or recorded twice');

# --- (b) a user function that runs too long
sql(q{CREATE FUNCTION slow_if(n int, which int) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		IF n = which THEN PERFORM pg_sleep(3); END IF;
		RETURN true;
	END $$});
sql(qq{SELECT sw.create_source('slow', '$bs', 'slow', columns => 'n int');
	SELECT sw.create_window('slow_w', 'slow', 'count', 'count(*) AS c, sum(n) AS s', count => 1000,
		filter => 'slow_if(n, 3)');});
produce('slow', 0, 9);
SwTest::applied($node, 'slow', 10, '(b) a slow function does not stall the source');
is(sql(q{SELECT c || '/' || s FROM slow_w}), '9/42', '(b) the slow event is skipped by the window');
like(sql(q{SELECT kafka_offset || ' ' || error FROM sw.window_errors WHERE window_name = 'slow_w'}),
	qr/^3 .*sw\.expression_timeout/, '(b) its error names sw.expression_timeout');

# --- (c) a result table that cannot be written suspends its window alone
sql(qq{SELECT sw.create_source('chk', '$bs', 'chk', columns => 'n int');
	SELECT sw.create_window('chk_w', 'chk', 'count', 'count(*) AS c, sum(n) AS s', count => 1000);
	SELECT sw.create_window('chk_other', 'chk', 'count', 'count(*) AS c', count => 1000);});
produce('chk', 1, 5);
SwTest::applied($node, 'chk', 5, '(c) first events applied');
sql(q{ALTER TABLE chk_w ADD CONSTRAINT small CHECK (c <= 7)});
produce('chk', 6, 10);
SwTest::applied($node, 'chk', 10, '(c) the source goes on while a window cannot be written');
is(sql(q{SELECT state FROM sw.windows WHERE name = 'chk_w'}), 'error', '(c) the window is suspended');
like(sql(q{SELECT last_error FROM sw.windows WHERE name = 'chk_w'}), qr/small/,
	'(c) last_error names the constraint');
is(sql(q{SELECT (SELECT c FROM chk_other) || ' ' || (SELECT c || '/' || s FROM chk_w)}), '10 5/15',
	'(c) the other window is exact; the suspended one kept what it had written');
produce('chk', 11, 12);
SwTest::applied($node, 'chk', 12, '(c) more events while suspended');
my ($rc, $out, $err) = $node->psql('postgres', q{SELECT sw.resume_window('chk_w')});
like($err, qr/could not write the results of window "chk_w"/,
	'(c) resuming before the cause is fixed fails');
is(sql(q{SELECT state FROM sw.windows WHERE name = 'chk_w'}), 'error', '(c) and leaves it suspended');
sql(q{ALTER TABLE chk_w DROP CONSTRAINT small; SELECT sw.resume_window('chk_w')});
is(sql(q{SELECT state || ' ' || (SELECT c || '/' || s FROM chk_w) FROM sw.windows WHERE name = 'chk_w'}),
	'running 12/78', '(c) resumed, it caught up exactly from staging');
produce('chk', 13, 14);
SwTest::applied($node, 'chk', 14, '(c) events after the resume');
SwTest::poll($node, q{SELECT c || '/' || s FROM chk_w}, '14/105', '(c) and the worker applies new events to it');
($rc, $out, $err) = $node->psql('postgres', q{SELECT sw.resume_window('chk_w')});
like($err, qr/is not suspended/, '(c) resuming a running window is refused');

# --- (c2) a window whose rows cannot be marked final (a trigger) between batches
sql(q{SELECT sw.create_window('chk_final', 'chk', 'tumbling', 'count(*) AS c', size => '1 hour');
	CREATE FUNCTION no_final() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF NEW.is_final THEN RAISE EXCEPTION 'final rows are not welcome here'; END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER no_final BEFORE UPDATE ON chk_final FOR EACH ROW EXECUTE FUNCTION no_final();
	SELECT sw.advance_watermark('chk_final', '2100-01-01 00:00:00+00');});
SwTest::poll($node, q{SELECT state FROM sw.windows WHERE name = 'chk_final'}, 'error',
	'(c2) a window that cannot be written between batches is suspended');
like(sql(q{SELECT last_error FROM sw.windows WHERE name = 'chk_final'}), qr/not welcome/,
	'(c2) last_error says why');
produce('chk', 15, 16);
SwTest::applied($node, 'chk', 16, '(c2) and the source goes on');
is(sql(q{SELECT c FROM chk_other}), '16', '(c2) so do its other windows');

# --- (d) what retention removed while a window was suspended
sql(qq{SELECT sw.create_source('ret', '$bs', 'ret', columns => 'n int', retention => '2 seconds');
	SELECT sw.create_window('ret_w', 'ret', 'count', 'count(*) AS c', count => 1000);});
produce('ret', 1, 3);
SwTest::applied($node, 'ret', 3, '(d) first events applied');
sql(q{ALTER TABLE ret_w ADD CONSTRAINT no_more CHECK (c <= 3)});
produce('ret', 4, 6);
SwTest::poll($node, q{SELECT state FROM sw.windows WHERE name = 'ret_w'}, 'error', '(d) suspended');
SwTest::poll($node, 'SELECT count(*) FROM ret', '0', '(d) retention empties staging meanwhile');
produce('ret', 7, 8);
SwTest::applied($node, 'ret', 8, '(d) more events');
SwTest::poll($node, 'SELECT min(kafka_offset) FROM ret', '6', '(d) the newest are staged');
sql(q{ALTER TABLE ret_w DROP CONSTRAINT no_more});
# whatever retention removed by now is one range; what is still staged is applied
my $staged = sql(q{SELECT count(*) FROM ret});
sql(q{SELECT sw.resume_window('ret_w')});
my $lost = sql(q{SELECT kafka_offset || '-' || kafka_offset_end FROM sw.window_errors WHERE window_name = 'ret_w'});
like($lost, qr/^3-\d+$/, '(d) one range from where the window stopped');
my ($lo, $hi) = $lost =~ /^(\d+)-(\d+)$/;
is(sql(q{SELECT c FROM ret_w}), 3 + $staged, '(d) the window took up what was still staged');
is($hi - $lo + 1 + $staged, 5, '(d) the lost range and the staged rows cover the missed events exactly');

# --- (d2) a window holding more open rows than sw.max_open_rows
sql(q{ALTER SYSTEM SET sw.max_open_rows = 50; SELECT pg_reload_conf();
	SELECT sw.create_window('wide', 'chk', 'tumbling', 'count(*) AS c', group_by => 'n',
		size => '1 hour');});
SwTest::poll($node, q{SELECT state FROM sw.windows WHERE name = 'wide'}, 'running', '(d2) a wide window');
$broker->produce('chk', input => join('', map { qq({"n": $_}
) } 1000 .. 1099), args => [ '-p', 0 ]);
SwTest::applied($node, 'chk', 116, '(d2) the source takes 100 distinct keys');
SwTest::poll($node, q{SELECT state FROM sw.windows WHERE name = 'wide'}, 'error',
	'(d2) past sw.max_open_rows the window is suspended');
like(sql(q{SELECT last_error FROM sw.windows WHERE name = 'wide'}), qr/sw\.max_open_rows/,
	'(d2) last_error names sw.max_open_rows');
is(sql(q{SELECT c FROM chk_other}), '116', '(d2) the other windows go on');
sql(q{ALTER SYSTEM RESET sw.max_open_rows; SELECT pg_reload_conf();});

# --- (d3) a polymorphic user aggregate (its functions learn their argument
# types from the call expressions the engine builds, as nodeAgg does)
sql(q{CREATE FUNCTION pmax(anyelement, anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE
		AS 'SELECT greatest($1, $2)';
	CREATE AGGREGATE pmax_agg(anyelement) (SFUNC = pmax, STYPE = anyelement, COMBINEFUNC = pmax);
	SELECT sw.create_window('poly', 'div', 'count', 'pmax_agg(n) AS m, pmax_agg(n::text) AS mt',
		count => 1000);});
produce('div', 25, 29);
SwTest::applied($node, 'div', 30, '(d3) more events');
SwTest::poll($node, q{SELECT m || ' ' || mt FROM poly}, '29 9', '(d3) a polymorphic aggregate works in a window');
is(sql(q{SELECT count(*) FROM sw.window_errors WHERE window_name = 'poly'}), '0', '(d3) without errors');

# --- (e) limits at create time
($rc, $out, $err) = $node->psql('postgres', q{SELECT sw.create_window('too_many', 'chk', 'sliding', 'count(*)',
	size => '1 day', slide => '1 second')});
like($err, qr/at most 1000 windows.*\n.*86400.*\n.*HINT/s, '(e) too many sliding windows per event: refused with a hint');
my $aggs = join(', ', map { "sum(n) AS s$_" } 1 .. 101);
($rc, $out, $err) = $node->psql('postgres', qq{SELECT sw.create_window('too_wide', 'chk', 'tumbling', '$aggs',
	size => '1 minute')});
like($err, qr/at most 100 aggregate calls/, '(e) too many aggregate calls: refused');
is(sql(q{SELECT count(*) FROM pg_class WHERE relname IN ('too_many', 'too_wide')}), '0',
	'(e) nothing created');

done_testing();
