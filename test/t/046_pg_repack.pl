# 046_pg_repack.pl — pg_repack of result tables, between batches and while
# events keep arriving, leaves later merges exactly right (SPEC.md "Trust",
# "DBA operations").  pg_repack rebuilds a table under a new relfilenode
# and swaps it in; it needs a primary key, which the DBA adds (result
# tables have none of their own: a group key may be NULL).  Every sum is
# checked against values this test computes itself.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $node = SwTest::node('repack', conf => "timezone = 'UTC'\n");
my $repack = $node->config_data('--bindir') . '/pg_repack';
plan skip_all => 'pg_repack is not installed (test/check.sh installs it)' unless -x $repack;
my $broker = SwTest::Broker->start(topics => ['rp:2']);
my $bs = $broker->bootstrap;

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $T0 = 1795608000;    # 2026-11-25 12:00:00 UTC
my @sent;               # [n, second offset, key]
my $n = 0;

# events for seconds $from .. $to, two keys per second, both partitions
sub batch
{
	my ($from, $to) = @_;
	my @ev;
	for my $s ($from .. $to)
	{
		push @ev, [ ++$n, $s, 'k' . ($s % 4) ], [ ++$n, $s, 'k' . ($s % 5) ];
	}
	push @sent, @ev;
	for my $p (0, 1)
	{
		$broker->produce('rp', input => join('', map {
			my ($v, $s, $k) = @$_;
			my ($ss, $mm, $hh) = gmtime($T0 + $s);
			sprintf(qq({"n": %d, "k": "%s", "t": "2026-11-25T%02d:%02d:%02dZ"}\n), $v, $k, $hh, $mm, $ss)
		} grep { $_->[0] % 2 == $p } @ev), args => [ '-p', $p ]);
	}
}

sub check
{
	my ($what) = @_;
	SwTest::applied($node, 'rp', scalar(@sent), "$what: every event applied");
	my ($tum_ref, $tot_ref) = SwTest::sums_by_minute_and_key(\@sent);
	my %tum = %$tum_ref;
	my %tot = %$tot_ref;
	is(sql(q{SELECT string_agg(k || '|' || (extract(epoch FROM window_start)::bigint - 1795608000) / 60
		|| '|' || c || '|' || s, ',' ORDER BY k, window_start) FROM rp_tum}),
		join(',', map { "$_|$tum{$_}[0]|$tum{$_}[1]" }
			sort { my ($ka, $ma) = split /\|/, $a; my ($kb, $mb) = split /\|/, $b; $ka cmp $kb || $ma <=> $mb } keys %tum),
		"$what: every tumbling row exact");
	is(sql(q{SELECT string_agg(k || '|' || c || '|' || s, ',' ORDER BY k)
		FROM (SELECT k, sum(c) AS c, sum(s) AS s FROM rp_ses GROUP BY k) x}),
		join(',', map { "$_|$tot{$_}[0]|$tot{$_}[1]" } sort keys %tot),
		"$what: sessions hold every event once");
	is(sql(q{SELECT string_agg(name || ':' || state, ',' ORDER BY name) FROM sw.windows}),
		'rp_ses:running,rp_tum:running', "$what: both windows running");
}

sub repack
{
	my ($table) = @_;
	my $before = sql("SELECT pg_relation_filenode('$table')");
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ $repack, '--no-superuser-check', '-h', $node->host, '-p', $node->port,
		'-d', 'postgres', '-t', $table ], '>', \$out, '2>', \$err);
	ok($ok, "pg_repack of $table succeeds") or diag($err);
	isnt(sql("SELECT pg_relation_filenode('$table')"), $before, "$table was rebuilt under a new relfilenode");
}

sql(qq{CREATE EXTENSION pg_repack;
	SELECT sw.create_source('rp', '$bs', 'rp', columns => 'n int, k text, t timestamptz');
	SELECT sw.create_window('rp_tum', 'rp', 'tumbling', 'count(*) AS c, sum(n) AS s', group_by => 'k',
		event_time => 't', size => '1 minute', allowed_lateness => '1 day');
	SELECT sw.create_window('rp_ses', 'rp', 'session', 'count(*) AS c, sum(n) AS s', group_by => 'k',
		event_time => 't', gap => '20 seconds', allowed_lateness => '1 day');
	ALTER TABLE rp_tum ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
	ALTER TABLE rp_ses ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;});

batch(0, 90);
check('before pg_repack');
repack('rp_tum');
repack('rp_ses');
# late events into final rows, sessions extended and merged across the rebuild
batch(30, 150);
check('after pg_repack between batches');

# pg_repack while a backlog is being applied
batch(0, 200);
repack('rp_tum');
batch(100, 220);
repack('rp_ses');
check('after pg_repack during ingest');
is(sql(q{SELECT count(*) FROM (SELECT k, window_start FROM rp_tum GROUP BY 1, 2 HAVING count(*) > 1) d}),
	'0', 'no tumbling row written twice');

done_testing();
