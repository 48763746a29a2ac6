# 040_trust_privileges.pl — SPEC.md "Trust", part "Who runs what", as attacks
# on the workers and the administration functions:
#   (1) trap operators and functions: schema "trap", owned by an unprivileged
#       role, shadows pg_catalog's =, <, >, +, -, *, #>>, to_regclass(),
#       now(), unnest(), jsonb_each() and max(int8) with plpgsql functions that
#       RAISE WARNING 'TRAP user=... super=...'.  The roles that own sources
#       and windows have search_path = trap, pg_catalog (role setting, so the
#       worker connecting as the source owner gets it too, and in their
#       sessions).  Creating sources and windows, batches, advance_watermark,
#       retention, pause/resume, a superuser's reset, drop: a trap may fire as
#       a non-superuser, never as a superuser;
#       An index expression on the staging table and a trigger on a result
#       table report the same way;
#   (2) owners: sw.sources.owner, sw.windows.owner, the staging table's owner
#       and the worker's pg_stat_activity.usename are the creating roles;
#   (3) statement triggers on a staging table (AFTER DELETE, BEFORE/AFTER
#       TRUNCATE) see current_user = the source owner during retention and
#       during sw.reset_source called by a superuser;
#   (4) a window owner's function that calls set_config('search_path', ...)
#       and set_config('work_mem', ...) in the window's filter does not leak
#       into the worker's own statements (no trap fires as the superuser or the
#       source owner afterwards; retention's trigger sees the default work_mem);
#   (5) one admin against another admin's source: pause/resume/reset/drop give
#       42501 and change nothing; a non-owner's drop_window/advance_watermark
#       give 42501.
# The server log is read from a byte offset taken before each step.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 't1:1', 't4:1', 't5:1' ]);
my $bs = $broker->bootstrap;
# WARNINGs must reach the server log: the traps and triggers report there
my $node = SwTest::node('trust', log_min_messages => 'warning',
	conf => "timezone = 'UTC'\n");
my $POLL = 30;    # seconds; every poll here succeeds within a few seconds
my $TRAP_PATH = 'trap, pg_catalog';

sub sql { return $node->safe_psql('postgres', $_[0]); }

# For assertions: the output, or the error (a failed check, not a dead test).
sub val
{
	my ($rc, $out, $err) = $node->psql('postgres', $_[0]);
	return $rc == 0 ? $out : "ERROR: $err";
}

# As $role, in a session whose search_path is the trap one (as is the role's
# setting, for those that have it); errors verbose, for their SQLSTATE.
sub as_role
{
	my ($role, $sql, %opts) = @_;
	my $prefix = "\\set VERBOSITY verbose\n";
	$prefix .= "SET search_path = $TRAP_PATH;\n" unless $opts{plain};
	my ($rc, $out, $err) = $node->psql('postgres', $prefix . $sql,
		extra_params => [ '-U', $role ]);
	return ($rc, $out, $err);
}

# The statement trigger function a role puts on its staging tables: it
# reports what stage_triggers_since reads back.
sub stage_trig_sql
{
	my ($schema) = @_;
	return qq{CREATE FUNCTION $schema.stage_trig() RETURNS trigger LANGUAGE plpgsql AS \$f\$
BEGIN
	RAISE WARNING 'STAGETRIG tbl=%.% op=% when=% user=% sp=[%] wm=%', TG_TABLE_SCHEMA, TG_TABLE_NAME,
		TG_OP, TG_WHEN, current_user, pg_catalog.current_setting('search_path'),
		pg_catalog.current_setting('work_mem');
	RETURN NULL;
END \$f\$;};
}

sub ok_as
{
	my ($role, $sql, $what, %opts) = @_;
	my ($rc, $out, $err) = as_role($role, $sql, %opts);
	ok($rc == 0, $what) or diag("$role: $err");
	return $out;
}

sub log_pos { return -s $node->logfile; }

sub log_since
{
	my ($from) = @_;
	my $log = slurp_file($node->logfile);
	return substr($log, $from);
}

# Trap lines in the log since $from: [user, super, what, pid, the line and
# the CONTEXT/STATEMENT lines after it]
sub traps_since
{
	my ($from) = @_;
	my @lines = split /\n/, log_since($from);
	my @traps;
	for my $i (0 .. $#lines)
	{
		next unless $lines[$i] =~ /\[(\d+)\].*TRAP user=(\S+) super=([tf]) at=(.*)$/;
		my ($pid, $trap) = ($1, [ $2, $3, $4, $1 ]);
		my $text = $lines[$i];
		for my $j ($i + 1 .. $#lines)
		{
			last if $lines[$j] =~ /^\d{4}-\d\d-\d\d /
			  && $lines[$j] !~ /\[$pid\] .*?(CONTEXT|STATEMENT|QUERY):/;
			$text .= "\n    $lines[$j]";
		}
		push @traps, [ @$trap, $text ];
	}
	return @traps;
}

sub show_traps
{
	my @t = @_;
	return join("\n", map { $_->[4] } @t[ 0 .. ($#t < 5 ? $#t : 5) ]);
}

# The worker of (4)'s source: its lines are checked by (4) and at the end,
# not in the slices of the other steps that run meanwhile.
my %pid4;

sub no_super_trap
{
	my ($from, $what, %opts) = @_;
	my @bad = grep { $_->[1] eq 't' && !($opts{skip4} && $pid4{ $_->[3] }) } traps_since($from);
	is(scalar(@bad), 0, "no trap fires as a superuser: $what") or diag(show_traps(@bad));
}

# Staging-trigger lines since $from for a table: [op, when, user, search_path, work_mem]
sub stage_triggers_since
{
	my ($from, $table) = @_;
	return map {
		/STAGETRIG tbl=\Q$table\E op=(\w+) when=(\w+) user=(\S+) sp=\[(.*?)\] wm=(\S+)/
		  ? [ $1, $2, $3, $4, $5 ] : ()
	} split /\n/, log_since($from);
}

# SQL for "42501 and nothing else"
sub denied
{
	my ($role, $sql, $what) = @_;
	my ($rc, $out, $err) = as_role($role, $sql);
	ok($rc != 0 && $err =~ /ERROR:\s+42501:/, "$what: SQLSTATE 42501")
	  or diag("rc=$rc stderr: $err");
}

my $su = sql('SELECT current_user');

# ---------------------------------------------------------------------------
# Roles, schemas and the trap
# ---------------------------------------------------------------------------
sql(q{
CREATE ROLE trapper LOGIN;
CREATE ROLE a1 LOGIN;
CREATE ROLE a2 LOGIN;
CREATE ROLE a3 LOGIN;
CREATE ROLE wo LOGIN;
CREATE ROLE wo2 LOGIN;
GRANT stream_windows_admin TO a1, a2, a3;
CREATE SCHEMA trap AUTHORIZATION trapper;
CREATE SCHEMA a1 AUTHORIZATION a1;
CREATE SCHEMA a3 AUTHORIZATION a3;
CREATE SCHEMA wo AUTHORIZATION wo;
CREATE SCHEMA wo2 AUTHORIZATION wo2;
GRANT USAGE ON SCHEMA trap TO PUBLIC;
});

my $raise = q{RAISE WARNING 'TRAP user=% super=% at=%', current_user,
		(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)};
# operators as the extension's internal SQL uses them (HEAD's texts)
my @ops = (
	[ '=', 'text', 'text', 'boolean' ], [ '=', 'int4', 'int4', 'boolean' ],
	[ '=', 'oid', 'oid', 'boolean' ], [ '=', 'oid', 'regclass', 'boolean' ],
	[ '=', 'int8', 'int8', 'boolean' ], [ '=', 'int4', 'int8', 'boolean' ],
	[ '<', 'int8', 'int8', 'boolean' ], [ '<', 'int4', 'int4', 'boolean' ],
	[ '>', 'int8', 'int8', 'boolean' ], [ '>', 'int4', 'int4', 'boolean' ],
	[ '+', 'int4', 'int4', 'int4' ], [ '+', 'int8', 'int4', 'int8' ],
	[ '+', 'int8', 'int8', 'int8' ], [ '-', 'int8', 'int4', 'int8' ],
	[ '*', 'numeric', 'int4', 'numeric' ], [ '#>>', 'jsonb', 'text[]', 'text' ],
);
my $trap_sql = "SET ROLE trapper;\n";
for my $i (0 .. $#ops)
{
	my ($op, $l, $r, $ret) = @{ $ops[$i] };
	$trap_sql .= qq{
CREATE FUNCTION trap.op_$i(a $l, b $r) RETURNS $ret LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp AS \$f\$
BEGIN
	$raise, '$l $op $r';
	RETURN a OPERATOR(pg_catalog.$op) b;
END \$f\$;
CREATE OPERATOR trap.$op (LEFTARG = $l, RIGHTARG = $r, FUNCTION = trap.op_$i);
};
}
$trap_sql .= qq{
CREATE FUNCTION trap.to_regclass(t text) RETURNS regclass LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp AS \$f\$
BEGIN
	$raise, 'to_regclass(text)';
	RETURN pg_catalog.to_regclass(t);
END \$f\$;
CREATE FUNCTION trap.now() RETURNS timestamptz LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp AS \$f\$
BEGIN
	$raise, 'now()';
	RETURN pg_catalog.now();
END \$f\$;
CREATE FUNCTION trap.unnest(a anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp AS \$f\$
BEGIN
	$raise, 'unnest(anyarray)';
	RETURN QUERY SELECT pg_catalog.unnest(a);
END \$f\$;
CREATE FUNCTION trap.jsonb_each(j jsonb, OUT key text, OUT value jsonb) RETURNS SETOF record
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS \$f\$
BEGIN
	$raise, 'jsonb_each(jsonb)';
	RETURN QUERY SELECT * FROM pg_catalog.jsonb_each(j);
END \$f\$;
CREATE FUNCTION trap.max_sf(s int8, v int8) RETURNS int8 LANGUAGE plpgsql STRICT
	SET search_path = pg_catalog, pg_temp AS \$f\$
BEGIN
	$raise, 'max(int8)';
	RETURN CASE WHEN v > s THEN v ELSE s END;
END \$f\$;
CREATE AGGREGATE trap.max(int8) (SFUNC = trap.max_sf, STYPE = int8);
RESET ROLE;
};
sql($trap_sql);
# the roles that own the sources and windows of (1), (2), (3) and (5)
sql("ALTER ROLE $_ SET search_path = $TRAP_PATH") for qw(a1 a2 wo);

# Controls: the trap fires, and the log shows who ran it.
my $o = log_pos();
ok_as('a1', 'SELECT 1 = 1, now() IS NOT NULL', 'control: a1 runs a trapped statement');
is($node->safe_psql('postgres', 'SHOW search_path', extra_params => [ '-U', 'a1' ]),
	$TRAP_PATH, 'control: the role setting gives a1 the trap search_path');
$node->psql('postgres', "SET search_path = $TRAP_PATH; SELECT 'x'::text = 'x'::text");
my @c = traps_since($o);
ok((grep { $_->[0] eq 'a1' && $_->[1] eq 'f' && $_->[2] eq 'int4 = int4' } @c)
	  && (grep { $_->[0] eq 'a1' && $_->[2] eq 'now()' } @c),
	'control: the trap fires as a1 (super=f) in its own statements');
ok((grep { $_->[0] eq $su && $_->[1] eq 't' } @c),
	'control: a trap run by a superuser is reported as super=t');

# From here on, no trap may fire as a superuser.
my $o_start = log_pos();

# ---------------------------------------------------------------------------
# (4) set up first, so that it runs alongside (1): a source of a3 and a
# window of wo2 whose filter changes settings.  These two roles keep the
# default search_path, so that any trap in a3.s4's worker comes from the
# filter's set_config.  Lines of that worker are told apart by its pid.
# ---------------------------------------------------------------------------
ok_as('a3', q{
SELECT sw.create_source('a3.s4', '} . $bs . q{', 't4', columns => 'n int, t timestamptz',
	retention => '2 seconds');
} . stage_trig_sql('a3') . q{
CREATE TRIGGER st_del AFTER DELETE ON a3.s4 FOR EACH STATEMENT EXECUTE FUNCTION a3.stage_trig();
GRANT USAGE ON SCHEMA a3 TO wo2;
GRANT SELECT ON a3.s4 TO wo2;
}, '(4) a3 creates source a3.s4 with a statement trigger', plain => 1);
ok_as('wo2', q{
CREATE FUNCTION wo2.leak(n int) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
	PERFORM pg_catalog.set_config('search_path', 'trap, pg_catalog', false);
	PERFORM pg_catalog.set_config('work_mem', '1234kB', false);
	RETURN true;
END $f$;
SELECT sw.create_window('wo2.w4', 'a3.s4', 'tumbling', 'count(*) AS c', event_time => 't',
	filter => 'wo2.leak(n)', size => '10 seconds');
}, '(4) wo2 creates window wo2.w4 whose filter calls set_config', plain => 1);

sub events
{
	my ($from, $count) = @_;
	return join('', map {
		sprintf(qq({"n":%d,"t":"2026-11-25T12:%02d:%02dZ"}\n), $_, int($_ / 60), $_ % 60)
	} $from .. $from + $count - 1);
}
$broker->produce('t4', input => events(1, 10), args => [ '-p', 0 ]);
# the lines of a3.s4's worker are told apart by its pid
$pid4{ SwTest::worker_pid($node, 'a3.s4') // 0 } = 1;

# ---------------------------------------------------------------------------
# (1), (2), (3): a1's source, windows of a1 and of wo
# ---------------------------------------------------------------------------
$o = log_pos();
ok_as('a1', q{
SELECT sw.create_source('a1.s1', '} . $bs . q{', 't1', columns => 'n int, t timestamptz',
	retention => '2 seconds');
SELECT sw.create_source('a1.s5', '} . $bs . q{', 't5', columns => 'n int, t timestamptz');
} . stage_trig_sql('a1') . q{
-- an index expression on staging: evaluated by the worker's inserts
CREATE FUNCTION a1.idx_trap(n int) RETURNS int LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
BEGIN
	RAISE WARNING 'TRAP user=% super=% at=index on a1.s1', current_user,
		(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user);
	RETURN n;
END $f$;
CREATE INDEX s1_trap ON a1.s1 (a1.idx_trap(n));
CREATE TRIGGER st_del AFTER DELETE ON a1.s1 FOR EACH STATEMENT EXECUTE FUNCTION a1.stage_trig();
CREATE TRIGGER st_trunc_b BEFORE TRUNCATE ON a1.s1 FOR EACH STATEMENT EXECUTE FUNCTION a1.stage_trig();
CREATE TRIGGER st_trunc_a AFTER TRUNCATE ON a1.s1 FOR EACH STATEMENT EXECUTE FUNCTION a1.stage_trig();
GRANT USAGE ON SCHEMA a1 TO wo, a2;
GRANT SELECT ON a1.s1, a1.s5 TO wo;
SELECT sw.create_window('a1.w1a', 'a1.s1', 'tumbling', 'count(*) AS c', event_time => 't',
	size => '10 seconds');
}, '(1) a1 (trap search_path) creates sources a1.s1, a1.s5 and window a1.w1a');
ok_as('wo', q{
SELECT sw.create_window('wo.w1', 'a1.s1', 'tumbling', 'count(*) AS c, sum(n) AS s',
	event_time => 't', filter => 'n > 0', size => '10 seconds');
SELECT sw.create_window('wo.w5', 'a1.s5', 'tumbling', 'count(*) AS c', event_time => 't',
	size => '10 seconds');
-- a trigger on the result table: run by the worker's writes
CREATE FUNCTION wo.res_trig() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
	RAISE WARNING 'TRAP user=% super=% at=trigger on wo.w1', current_user,
		(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user);
	RETURN NULL;
END $f$;
CREATE TRIGGER w1_trap AFTER INSERT OR UPDATE ON wo.w1 FOR EACH STATEMENT EXECUTE FUNCTION wo.res_trig();
}, '(1) wo (trap search_path, SELECT on staging) creates windows wo.w1 and wo.w5');
no_super_trap($o, 'create_source, create_window', skip4 => 1);

# (2) owners
is(val(q{SELECT string_agg(name || '=' || owner, ',' ORDER BY name) FROM sw.sources
	WHERE name IN ('a1.s1', 'a1.s5', 'a3.s4')}),
	'a1.s1=a1,a1.s5=a1,a3.s4=a3', '(2) sw.sources.owner is the role that created the source');
is(val(q{SELECT string_agg(name || '=' || owner, ',' ORDER BY name) FROM sw.windows}),
	'a1.w1a=a1,wo.w1=wo,wo.w5=wo,wo2.w4=wo2',
	'(2) sw.windows.owner is the role that created the window');
is(val(q{SELECT string_agg(c.relname || '=' || pg_get_userbyid(c.relowner), ',' ORDER BY c.relname)
	FROM pg_class c WHERE c.oid IN ('a1.s1'::regclass, 'a1.s5'::regclass, 'a3.s4'::regclass,
		'wo.w1'::regclass, 'a1.w1a'::regclass)}),
	's1=a1,s4=a3,s5=a1,w1=wo,w1a=a1', '(2) staging and result tables are owned by their creators');

$o = log_pos();
my $o_ret = $o;    # retention may run from here on (2 seconds after staging)
$broker->produce('t1', input => events(1, 20), args => [ '-p', 0 ]);
$broker->produce('t5', input => events(1, 10), args => [ '-p', 0 ]);
SwTest::applied($node, 'a1.s1', '20', '(1) a1.s1: 20 messages applied');
SwTest::poll($node, q{SELECT (SELECT sum(c) FROM wo.w1) || ' ' || (SELECT sum(s) FROM wo.w1)
	|| ' ' || (SELECT sum(c) FROM a1.w1a)}, '20 210 20', '(1) both windows of a1.s1 hold every event',
	$POLL);
SwTest::applied($node, 'a1.s5', '10', '(1) a1.s5: 10 messages applied');

my $pid1 = SwTest::worker_pid($node, 'a1.s1') // 0;
is(val(qq{SELECT usename FROM pg_stat_activity
	WHERE pid = $pid1 AND backend_type = 'stream_windows source'}),
	'a1', '(2) the worker of a1.s1 connects as its owner a1');

# the window code of wo ran as wo, in the worker (the filter's trapped >)
my @b = traps_since($o);
ok((grep { $_->[0] eq 'wo' && $_->[1] eq 'f' && $_->[2] eq 'int4 > int4' } @b),
	"(1) control: wo's filter (trapped >) ran as wo");
ok((grep { $_->[2] eq 'index on a1.s1' } @b), '(1) control: the index expression on a1.s1 ran');
ok((grep { $_->[2] eq 'trigger on wo.w1' } @b), '(1) control: the trigger on wo.w1 ran');
no_super_trap($o, 'batches of a1.s1 with windows of a1 and wo', skip4 => 1);

$o = log_pos();
ok_as('wo', q{SELECT sw.advance_watermark('wo.w1', '2026-11-25 13:00:00+00')},
	'(1) wo advances the watermark of wo.w1');
ok_as('a1', q{SELECT sw.advance_watermark('a1.w1a', '2026-11-25 13:00:00+00')},
	'(1) a1 advances the watermark of a1.w1a');
SwTest::poll($node, q{SELECT (SELECT bool_and(is_final) FROM wo.w1) AND (SELECT bool_and(is_final) FROM a1.w1a)},
	't', '(1) advance_watermark makes every row final', $POLL);
no_super_trap($o, 'advance_watermark and the tick that applies it', skip4 => 1);

# retention (2 seconds): the DELETE on staging and its statement trigger,
# looked for since the events were produced (a slow run may retain early)
SwTest::poll($node, 'SELECT count(*) FROM a1.s1', '0', '(1) retention empties a1.s1', $POLL);
no_super_trap($o_ret, 'retention of a1.s1', skip4 => 1);
my @del = grep { $_->[0] eq 'DELETE' } stage_triggers_since($o_ret, 'a1.s1');
ok(@del >= 1, "(3) retention's DELETE fired the staging table's statement trigger");
is(join(',', map { $_->[2] } grep { $_->[2] ne 'a1' } @del), '',
	"(3) during retention the trigger's current_user is the source owner a1");

# (4) more events after the filter has run, then a retention pass
$broker->produce('t4', input => events(11, 10), args => [ '-p', 0 ]);

# pause / resume by the owner
$o = log_pos();
ok_as('a1', q{SELECT sw.pause_source('a1.s1')}, '(1) a1 pauses a1.s1');
SwTest::poll($node, q{SELECT state || ' ' || (pid IS NULL) FROM sw.sources WHERE name = 'a1.s1'},
	'paused true', '(1) a1.s1 is paused, no worker', $POLL);
ok_as('a1', q{SELECT sw.resume_source('a1.s1')}, '(1) a1 resumes a1.s1');
SwTest::poll($node, q{SELECT state FROM sw.sources WHERE name = 'a1.s1'}, 'running',
	'(1) a1.s1 runs again', $POLL);
no_super_trap($o, 'pause_source, resume_source', skip4 => 1);

# ---------------------------------------------------------------------------
# (5) another admin, and non-owners of windows
# ---------------------------------------------------------------------------
$o = log_pos();
denied('a2', q{SELECT sw.drop_window('wo.w5')}, '(5) a2 drop_window of wo.w5');
denied('a2', q{SELECT sw.advance_watermark('wo.w5', '2030-01-01 00:00:00+00')},
	'(5) a2 advance_watermark of wo.w5');
denied('a1', q{SELECT sw.drop_window('wo.w5')},
	'(5) a1 (owner of the source, not of the window) drop_window of wo.w5');
denied('a1', q{SELECT sw.advance_watermark('wo.w5', '2030-01-01 00:00:00+00')},
	'(5) a1 advance_watermark of wo.w5');
is(val(q{SELECT count(*) || ' ' || (to_regclass('wo.w5') IS NOT NULL) FROM sw.windows WHERE name = 'wo.w5'}),
	'1 true', '(5) wo.w5 is still there');
ok_as('wo', q{SELECT sw.drop_window('wo.w5')}, '(5) its owner wo drops wo.w5');

my $snap_sql = q{SELECT (SELECT state FROM sw.sources WHERE name = 'a1.s5') || '|' ||
	(SELECT string_agg(kafka_partition || ':' || next_offset, ',') FROM sw.source_partitions
	  WHERE source_name = 'a1.s5') || '|' || (SELECT count(*) FROM a1.s5)};
my $snap = val($snap_sql);
is($snap, 'running|0:10|10', '(5) a1.s5 before the attacks');
for my $call (
	[ 'pause_source', q{SELECT sw.pause_source('a1.s5')} ],
	[ 'resume_source', q{SELECT sw.resume_source('a1.s5')} ],
	[ 'reset_source', q{SELECT sw.reset_source('a1.s5', 'latest')} ],
	[ 'drop_source', q{SELECT sw.drop_source('a1.s5', cascade => true)} ])
{
	denied('a2', $call->[1], "(5) a2 (stream_windows_admin) $call->[0] of a1's source");
	is(val($snap_sql), $snap, "(5) after a2's $call->[0]: state, offsets and staging rows unchanged");
}
no_super_trap($o, "a2's and a1's refused calls", skip4 => 1);

# ---------------------------------------------------------------------------
# (3) reset by a superuser: TRUNCATE as the source owner
# ---------------------------------------------------------------------------
ok_as('wo', q{SELECT sw.drop_window('wo.w1')}, '(1) wo drops wo.w1');
ok_as('a1', q{SELECT sw.drop_window('a1.w1a')}, '(1) a1 drops a1.w1a');
$o = log_pos();
my ($rc, $out, $err) = $node->psql('postgres',
	"SET search_path = $TRAP_PATH;\nSELECT sw.reset_source('a1.s1', 'earliest')");
is($rc, 0, '(1) a superuser resets a1.s1') or diag($err);
my @tr = stage_triggers_since($o, 'a1.s1');
is(join(',', map { "$_->[0]/$_->[1]/$_->[2]" } grep { $_->[0] eq 'TRUNCATE' } @tr),
	'TRUNCATE/BEFORE/a1,TRUNCATE/AFTER/a1',
	"(3) reset_source by a superuser: the TRUNCATE triggers' current_user is the source owner");
SwTest::applied($node, 'a1.s1', '20', '(1) after the reset a1.s1 is read again from the start');
no_super_trap($o, 'reset_source by a superuser (with the trap search_path) and the restart', skip4 => 1);

$o = log_pos();
ok_as('a1', q{SELECT sw.drop_source('a1.s1')}, '(1) a1 drops a1.s1');
SwTest::poll($node, q{SELECT count(*) || ' ' || (to_regclass('a1.s1') IS NULL)
	FROM sw.sources WHERE name = 'a1.s1'}, '0 true', '(1) a1.s1 is gone', $POLL);
no_super_trap($o, 'drop_source', skip4 => 1);

# ---------------------------------------------------------------------------
# (4) the filter's settings stayed in the window's turn
# ---------------------------------------------------------------------------
SwTest::applied($node, 'a3.s4', '20', '(4) a3.s4: 20 messages applied');
is(val('SELECT sum(c) FROM wo2.w4'), '20', '(4) the filter wo2.leak(n) ran for every event');
# rows of the second batch are gone: a retention pass ran after the filter
SwTest::poll($node, 'SELECT count(*) FROM a3.s4', '0', '(4) retention empties a3.s4 afterwards',
	$POLL);
$pid4{ SwTest::worker_pid($node, 'a3.s4') // 0 } = 1;    # in case it restarted
my @t4 = grep { $pid4{ $_->[3] } && $_->[0] ne 'wo2' } traps_since($o_start);
is(scalar(@t4), 0,
	"(4) after wo2's set_config('search_path'), no trap fires in a3.s4's worker but in wo2's code")
  or diag(show_traps(@t4));
my @a3 = grep { $_->[0] eq 'a3' } traps_since($o_start);
is(scalar(@a3), 0, '(4) no trap fires as the source owner a3 anywhere') or diag(show_traps(@a3));
my @st4 = stage_triggers_since($o_start, 'a3.s4');
ok((grep { $_->[0] eq 'DELETE' } @st4), "(4) retention's DELETE on a3.s4 fired its trigger");
is(join(',', map { "$_->[2]/$_->[4]" } grep { $_->[2] ne 'a3' || $_->[4] eq '1234kB' } @st4), '',
	"(4) retention of a3.s4 runs as a3 and does not see the work_mem set by wo2's filter");

# ---------------------------------------------------------------------------
# The whole run
# ---------------------------------------------------------------------------
ok(scalar(traps_since($o_start)) > 0, 'the trap fired (as non-superusers) during the run');
no_super_trap($o_start, 'anywhere in the run');

$node->stop;
$broker->stop;
done_testing();
