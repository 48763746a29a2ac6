# 041_trust_suspension.pl — a window whose owner may no longer read its
# source is suspended, alone (SPEC.md "Trust", "Who runs what"):
#   - role reader creates a window over owner's source (SELECT granted);
#   - SELECT is revoked: the next batch suspends reader's window
#     (sw.windows.state = 'error', last_error says why), while the source
#     and the owner's own window on it go on and stay exact;
#   - row-level security enabled later on the staging table suspends a
#     window to which the policies apply, not the owner's;
#   - the window's code runs as its owner (current_user seen by a function
#     in its filter), never as the source's owner or a superuser.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => ['ev:1']);
my $bs = $broker->bootstrap;
my $node = SwTest::node('suspension');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub produce
{
	my ($from, $to) = @_;
	$broker->produce('ev', input => join('', map { qq({"n": $_}\n) } $from .. $to),
		args => [ '-p', 0 ]);
}

sql(q{
	CREATE ROLE owner1 LOGIN IN ROLE stream_windows_admin;
	CREATE ROLE reader LOGIN;
	CREATE ROLE reader2 LOGIN;
	CREATE SCHEMA o AUTHORIZATION owner1;
	CREATE SCHEMA r AUTHORIZATION reader;
	CREATE SCHEMA r2 AUTHORIZATION reader2;
	-- what a window's filter sees as current_user, as a side effect
	CREATE TABLE seen_as (who name);
	GRANT INSERT ON seen_as TO PUBLIC;
	CREATE FUNCTION public.note_user(int) RETURNS boolean LANGUAGE sql VOLATILE
		AS $$ INSERT INTO public.seen_as VALUES (current_user) RETURNING true $$;
});
sql(qq{SET ROLE owner1;
	SELECT sw.create_source('o.ev', '$bs', 'ev', columns => 'n int');
	GRANT USAGE ON SCHEMA o TO reader, reader2;
	GRANT SELECT ON o.ev TO reader, reader2;
	SELECT sw.create_window('o.mine', 'o.ev', 'count', 'count(*) AS c, sum(n) AS s', count => 1000);});
sql(q{SET ROLE reader;
	SELECT sw.create_window('r.theirs', 'o.ev', 'count', 'count(*) AS c, sum(n) AS s', count => 1000,
		filter => 'public.note_user(n)');});
sql(q{SET ROLE reader2;
	SELECT sw.create_window('r2.rls', 'o.ev', 'count', 'count(*) AS c', count => 1000);});

produce(1, 10);
SwTest::applied($node, 'o.ev', 10, 'first 10 events applied');
is(sql(q{SELECT (SELECT c || '/' || s FROM o.mine) || ' ' || (SELECT c || '/' || s FROM r.theirs)}),
	'10/55 10/55', 'both windows count the first events');
is(sql(q{SELECT string_agg(DISTINCT who, ',') FROM seen_as}), 'reader',
	"the reader's filter runs as the reader, never as the source owner or a superuser");

# --- SELECT revoked: only reader's window stops
sql(q{SET ROLE owner1; REVOKE SELECT ON o.ev FROM reader});
produce(11, 20);
SwTest::applied($node, 'o.ev', 20, 'the source goes on after the revoke');
SwTest::poll($node, q{SELECT state FROM sw.windows WHERE name = 'r.theirs'}, 'error',
	"reader's window is suspended");
like(sql(q{SELECT last_error FROM sw.windows WHERE name = 'r.theirs'}),
	qr/reader.*may no longer read the staging table/, 'last_error says why');
is(sql(q{SELECT (SELECT c || '/' || s FROM o.mine) || ' ' || (SELECT c || '/' || s FROM r.theirs)}),
	'20/210 10/55', "the owner's window goes on and is exact; the suspended one keeps what it had");
is(sql(q{SELECT state FROM sw.windows WHERE name = 'o.mine'}), 'running',
	"the owner's window is still running");

# --- row-level security on staging: suspends reader2 (policies apply), not the owner
sql(q{SET ROLE owner1;
	ALTER TABLE o.ev ENABLE ROW LEVEL SECURITY;
	CREATE POLICY small ON o.ev USING (n < 25);});
produce(21, 30);
SwTest::applied($node, 'o.ev', 30, 'the source goes on with row-level security');
SwTest::poll($node, q{SELECT state FROM sw.windows WHERE name = 'r2.rls'}, 'error',
	"reader2's window is suspended once row-level security applies to it");
like(sql(q{SELECT last_error FROM sw.windows WHERE name = 'r2.rls'}),
	qr/row-level security/, 'last_error names row-level security');
is(sql(q{SELECT c || '/' || s FROM o.mine}), '30/465',
	"the owner's window (the policies do not apply to the owner) is exact");
is(sql(q{SELECT c FROM r2.rls}), '20', "reader2's window kept what it had before");

# --- and nothing changes after a restart: suspended windows stay out
$node->restart;
produce(31, 40);
SwTest::applied($node, 'o.ev', 40, 'the source goes on after a restart');
is(sql(q{SELECT string_agg(name || '=' || state, ' ' ORDER BY name) FROM sw.windows}),
	'o.mine=running r.theirs=error r2.rls=error', 'states survive the restart');
is(sql(q{SELECT (SELECT c FROM o.mine) || ' ' || (SELECT c FROM r.theirs) || ' ' || (SELECT c FROM r2.rls)}),
	'40 10 20', 'only the running window received the new events');

# --- the source's owner cannot drop other roles' windows through a cascade
my ($rc, $out, $err) = $node->psql('postgres',
	q{SET ROLE owner1; SELECT sw.drop_source('o.ev', cascade => true)});
like($err, qr/permission denied for window "r\.theirs"/,
	"drop_source with cascade is refused while windows of other roles exist");
is(sql(q{SELECT count(*) FROM sw.windows}) . ' ' . sql(q{SELECT count(*) FROM sw.sources}),
	'3 1', 'and nothing was dropped');
sql(q{SET ROLE reader; SELECT sw.drop_window('r.theirs')});
sql(q{SET ROLE reader2; SELECT sw.drop_window('r2.rls')});
sql(q{SET ROLE owner1; SELECT sw.drop_source('o.ev', cascade => true)});
is(sql(q{SELECT count(*) FROM sw.windows}) . ' ' . sql(q{SELECT count(*) FROM pg_class WHERE relname IN ('ev', 'mine', 'theirs', 'rls')}),
	'0 0', 'once their owners dropped them, the cascade drops the rest');

done_testing();
