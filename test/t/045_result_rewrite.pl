# 045_result_rewrite.pl — what a DBA does to a result table leaves later
# merges exactly right (SPEC.md "Trust", "DBA operations"): VACUUM FULL,
# CLUSTER, an added column, index and trigger, and rows updated by hand
# (between batches, and while one waits for them), between batches that
# merge events into rows written before them (tumbling with lateness,
# sessions extended across the rewrite, count windows filled across it).
# Rows are found by window and key: NULL keys, a key and a state without an
# array type (written a row at a time) too.
# Every sum is checked against values this test computes itself.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => ['rw:1']);
my $bs = $broker->bootstrap;
my $node = SwTest::node('rewrite', conf => "timezone = 'UTC'\n");

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $T0 = 1795608000;    # 2026-11-25 12:00:00 UTC
my @sent;               # [n, second offset, key]

# events n at second offset s (from T0), key k
sub send_events
{
	my @ev = @_;
	push @sent, @ev;
	$broker->produce('rw', input => join('', map {
		my ($n, $s, $k) = @$_;
		my ($ss, $mm, $hh) = gmtime($T0 + $s);
		sprintf(qq({"n": %d, "k": "%s", "t": "2026-11-25T%02d:%02d:%02dZ"}\n), $n, $k, $hh, $mm, $ss)
	} @ev), args => [ '-p', 0 ]);
}

# states without an array type travel as text: floats must come back exact
# even where the database prints them with few digits
sql(q{ALTER DATABASE postgres SET extra_float_digits = -15});
sql(qq{SELECT sw.create_source('rw', '$bs', 'rw', columns => 'n int, k text, t timestamptz');
	SELECT sw.create_window('rw_flt', 'rw', 'tumbling', 'avg(n / 4.0::float8) AS a', event_time => 't',
		size => '1 minute', allowed_lateness => '1 day');
	SELECT sw.create_window('rw_tum', 'rw', 'tumbling', 'count(*) AS c, sum(n) AS s', group_by => 'k',
		event_time => 't', size => '1 minute', allowed_lateness => '1 day');
	SELECT sw.create_window('rw_ses', 'rw', 'session', 'count(*) AS c, sum(n) AS s', group_by => 'k',
		event_time => 't', gap => '30 seconds', allowed_lateness => '1 day');
	SELECT sw.create_window('rw_cnt', 'rw', 'count', 'count(*) AS c, sum(n) AS s', group_by => 'k',
		count => 7);
	SELECT sw.create_window('rw_nul', 'rw', 'tumbling', 'count(*) AS c, sum(n) AS s, avg(n) AS a',
		group_by => 'nullif(left(k, 2), ''k0'') AS k', event_time => 't', size => '1 minute',
		allowed_lateness => '1 day');
	SELECT sw.create_window('rw_arr', 'rw', 'session', 'count(*) AS c, sum(n) AS s',
		group_by => 'ARRAY[length(k)] AS k', event_time => 't', gap => '30 seconds',
		allowed_lateness => '1 day');});

my $n = 0;
# the events of seconds $from_s .. $to_s, sent
sub send_seconds
{
	my ($from_s, $to_s) = @_;
	my @ev;
	for my $s ($from_s .. $to_s)
	{
		push @ev, [ ++$n, $s, 'k' . ($s % 3) ], [ ++$n, $s, 'wide-' . ('x' x 3000) ];
	}
	send_events(@ev);
}

sub batch
{
	my ($from_s, $to_s) = @_;
	send_seconds($from_s, $to_s);
	SwTest::applied($node, 'rw', scalar(@sent), "batch up to second $to_s applied");
}

# expected per tumbling window (key, minute) and per key overall
sub check
{
	my ($what) = @_;
	my ($tum_ref, $tot_ref) = SwTest::sums_by_minute_and_key(\@sent);
	my %tum = %$tum_ref;
	my %tot = %$tot_ref;
	my $want_tum = join(',', map { my ($k, $m) = split /\|/; substr($k, 0, 6) . "|$m|$tum{$_}[0]|$tum{$_}[1]" }
		sort { my ($ka, $ma) = split /\|/, $a; my ($kb, $mb) = split /\|/, $b; $ka cmp $kb || $ma <=> $mb } keys %tum);
	my $got_tum = sql(q{SELECT string_agg(left(k, 6) || '|' || (extract(epoch FROM window_start)::bigint - 1795608000) / 60
		|| '|' || c || '|' || s, ',' ORDER BY k, window_start) FROM rw_tum});
	is($got_tum, $want_tum, "$what: every tumbling row exact");
	my $want_tot = join(',', map { substr($_, 0, 6) . "|$tot{$_}[0]|$tot{$_}[1]" } sort keys %tot);
	is(sql(q{SELECT string_agg(left(k, 6) || '|' || c || '|' || s, ',' ORDER BY k)
		FROM (SELECT k, sum(c) AS c, sum(s) AS s FROM rw_ses GROUP BY k) x}), $want_tot,
		"$what: sessions hold every event once");
	is(sql(q{SELECT string_agg(left(k, 6) || '|' || c || '|' || s, ',' ORDER BY k)
		FROM (SELECT k, sum(c) AS c, sum(s) AS s FROM rw_cnt GROUP BY k) x}), $want_tot,
		"$what: count windows hold every event once");
	is(sql(q{SELECT count(*) FROM (SELECT k, window_start FROM rw_tum GROUP BY 1, 2 HAVING count(*) > 1) d}),
		'0', "$what: no row written twice");

	# the same by NULL-able key ('k0' is NULL), and by an array key
	my (%nul, %arr);
	for my $e (@sent)
	{
		my ($v, $s, $k) = @$e;
		my $nk = substr($k, 0, 2) eq 'k0' ? 'null' : substr($k, 0, 2);
		my $m = int($s / 60);
		$nul{"$nk|$m"}[0]++;
		$nul{"$nk|$m"}[1] += $v;
		$arr{ length($k) }[0]++;
		$arr{ length($k) }[1] += $v;
	}
	is(sql(q{SELECT string_agg(coalesce(k, 'null') || '|' || (extract(epoch FROM window_start)::bigint - 1795608000) / 60
		|| '|' || c || '|' || s || '|' || round(a, 4), ',' ORDER BY coalesce(k, 'null'), window_start) FROM rw_nul}),
		join(',', map { my ($k, $m) = split /\|/; "$k|$m|$nul{$_}[0]|$nul{$_}[1]|" . sprintf('%.4f', $nul{$_}[1] / $nul{$_}[0]) }
			sort { my ($ka, $ma) = split /\|/, $a; my ($kb, $mb) = split /\|/, $b; $ka cmp $kb || $ma <=> $mb } keys %nul),
		"$what: rows with a NULL key, and a state without an array type, exact");
	is(sql(q{SELECT string_agg(k[1] || '|' || c || '|' || s, ',' ORDER BY k[1])
		FROM (SELECT k, sum(c) AS c, sum(s) AS s FROM rw_arr GROUP BY k) x}),
		join(',', map { "$_|$arr{$_}[0]|$arr{$_}[1]" } sort { $a <=> $b } keys %arr),
		"$what: sessions by an array key exact");
	is(sql(q{SELECT count(*) FROM rw_flt f FULL JOIN
			(SELECT date_bin('1 minute', t, '1970-01-01') AS s, avg(n / 4.0::float8) AS a FROM rw GROUP BY 1) x
			ON x.s = f.window_start WHERE f.a IS DISTINCT FROM x.a}),
		'0', "$what: float states (float8[], passed as text) exact to the last bit");
	is(sql(q{SELECT string_agg(name || ':' || state, ',' ORDER BY name) FROM sw.windows}),
		'rw_arr:running,rw_cnt:running,rw_flt:running,rw_nul:running,rw_ses:running,rw_tum:running',
		"$what: every window running");
}

batch(0, 50);
check('before any rewrite');
sql('VACUUM FULL rw_tum; VACUUM FULL rw_ses; VACUUM FULL rw_cnt; VACUUM FULL rw_nul; VACUUM FULL rw_arr; VACUUM FULL rw_flt');
# late events into the first minute (final rows), sessions extended, counts filled
batch(40, 75);
check('after VACUUM FULL');
sql(q{CREATE INDEX rw_tum_start ON rw_tum (window_start); CLUSTER rw_tum USING rw_tum_start;
	CREATE INDEX rw_ses_k ON rw_ses (k); CLUSTER rw_ses USING rw_ses_k;
	CREATE INDEX rw_cnt_k ON rw_cnt (k, window_seq); CLUSTER rw_cnt USING rw_cnt_k;});
batch(10, 100);
check('after CLUSTER');
sql(q{ALTER TABLE rw_tum ADD COLUMN note text DEFAULT 'mine';
	CREATE TABLE rw_audit (n bigint);
	CREATE FUNCTION rw_count() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO rw_audit VALUES (1); RETURN NEW; END $$;
	CREATE TRIGGER rw_count AFTER UPDATE ON rw_tum FOR EACH ROW EXECUTE FUNCTION rw_count();
	VACUUM FULL rw_tum;});
batch(0, 130);
check('after ADD COLUMN, a trigger and another VACUUM FULL');
# rows updated by hand move without a rewrite: every open row gets a new place
sql(q{UPDATE rw_tum SET note = 'seen' WHERE _sw_open; UPDATE rw_nul SET c = c WHERE _sw_open;
	UPDATE rw_ses SET c = c WHERE _sw_open; UPDATE rw_arr SET c = c WHERE _sw_open});
batch(60, 140);
check('after open rows were updated by hand');
# a hand update that commits while a batch waits for the rows it holds: the
# batch writes their newest versions (EvalPlanQual), keeping the hand's value
my $held = $node->background_psql('postgres');
$held->query_safe(q{BEGIN; UPDATE rw_tum SET note = 'held' WHERE _sw_open;
	UPDATE rw_ses SET c = c WHERE _sw_open; UPDATE rw_cnt SET c = c WHERE _sw_open});
send_seconds(120, 140);
SwTest::poll($node, q{SELECT count(*) > 0 FROM pg_locks l JOIN sw.sources s ON s.pid = l.pid
	WHERE s.name = 'rw' AND NOT l.granted}, 't', 'the batch waits for the rows held by hand');
$held->query_safe('COMMIT');
$held->quit;
SwTest::applied($node, 'rw', scalar(@sent), 'the batch went on once the hand update committed');
check('after a batch that waited for a hand update');
cmp_ok(sql(q{SELECT count(*) FROM rw_tum WHERE note = 'held' AND window_start >= '2026-11-25 12:02+00'}),
	'>', 0, 'the rows the batch waited for kept the value written by hand');
# a restart reads the open rows back, states included
$node->restart;
batch(100, 150);
check('after a restart, from the states as stored');
cmp_ok(sql('SELECT count(*) FROM rw_audit'), '>', 0, 'the added trigger fired on the merges');
is(sql(q{SELECT count(*) FROM rw_tum WHERE note IS NULL OR note NOT IN ('mine', 'seen', 'held')}), '0',
	'the added column kept its default, and what was written into it by hand');
cmp_ok(sql(q{SELECT count(*) FROM rw_tum WHERE note IN ('seen', 'held') AND revision > 0}), '>', 0,
	'rows merged after the hand update kept the value written by hand');
is(sql(q{SELECT max(revision) > 0 FROM rw_tum}), 't', 'late events were merged into final rows');

done_testing();
