# SwTest.pm — shared pieces of the TAP tests: the embedded broker, the
# producer, a cluster with stream_windows preloaded, and bounded polling.
#
#   my $broker = SwTest::Broker->start(topics => ['events:4']);
#   $broker->produce('events', args => ['--generate', 'seq', '--count', 1000]);
#   my $node = SwTest::node('ingest');
#   SwTest::poll($node, $sql, $expected, $what);   # waits up to 60 s
package SwTest;

use strict;
use warnings;
use File::Temp qw(tempdir);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

our $TIMEOUT = $ENV{SW_TEST_TIMEOUT} // 60;

# A cluster with stream_windows preloaded and the extension created.
# Options: conf (more postgresql.conf lines), log_min_messages,
# install_path (another PostgreSQL installation), extension => 0 (do not
# create the extension).
sub node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name,
		$opts{install_path} ? (install_path => $opts{install_path}) : ());
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'stream_windows'
sw.database = 'postgres'
sw.restart_delay = '200ms'
restart_after_crash = on
max_worker_processes = 16
log_min_messages = ${\ ($opts{log_min_messages} // 'log')}
});
	$node->append_conf('postgresql.conf', $opts{conf}) if $opts{conf};
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION stream_windows')
	  unless defined $opts{extension} && !$opts{extension};
	return $node;
}

# Poll until $sql returns $expected (string compare); one test assertion.
sub poll
{
	my ($node, $sql, $expected, $what, $timeout) = @_;
	$timeout //= $TIMEOUT;
	my $deadline = time + $timeout;
	my $got = '';
	while (time < $deadline)
	{
		# psql may go away before reading its input while the cluster
		# restarts after a crash (SIGPIPE in IPC::Run): just try again
		my ($rc, $out) = (1, '');
		eval { ($rc, $out) = $node->psql('postgres', $sql); 1 } or $rc = 1;
		$got = $out // '';
		if ($rc == 0 && $out eq $expected)
		{
			pass($what);
			return 1;
		}
		usleep(100_000);
	}
	is($got, $expected, "$what (gave up after ${timeout}s)");
	return 0;
}

# Poll until every message below $n of a source is applied (sum of next_offset).
sub applied
{
	my ($node, $source, $n, $what) = @_;
	return poll($node,
		"SELECT sum(next_offset) FROM sw.source_partitions WHERE source_name = '$source'",
		$n, $what);
}

# A user aggregate with an array state, a combine and a final function:
# count/sum/max of an int, as "n/total/max".
sub ms_summary_sql
{
	return <<'SQL';
CREATE FUNCTION ms_acc(int8[], int) RETURNS int8[] LANGUAGE sql IMMUTABLE STRICT
	AS 'SELECT ARRAY[$1[1] + 1, $1[2] + $2, greatest($1[3], $2)]';
CREATE FUNCTION ms_comb(int8[], int8[]) RETURNS int8[] LANGUAGE sql IMMUTABLE STRICT
	AS 'SELECT ARRAY[$1[1] + $2[1], $1[2] + $2[2], greatest($1[3], $2[3])]';
CREATE FUNCTION ms_final(int8[]) RETURNS text LANGUAGE sql IMMUTABLE STRICT
	AS $$SELECT $1[1] || '/' || $1[2] || '/' || $1[3]$$;
CREATE AGGREGATE ms_summary(int) (SFUNC = ms_acc, STYPE = int8[], COMBINEFUNC = ms_comb,
	FINALFUNC = ms_final, INITCOND = '{0,0,0}');
SQL
}

# The pid of a source's worker, once it runs (undef if none within the timeout).
sub worker_pid
{
	my ($node, $source) = @_;
	my $deadline = time + $TIMEOUT;
	while (time < $deadline)
	{
		my $pid = $node->safe_psql('postgres',
			"SELECT pid FROM sw.sources WHERE name = '$source' AND pid IS NOT NULL");
		return $pid if $pid ne '';
		usleep(100_000);
	}
	return undef;
}

# Counts and sums of events [n, second offset from T0, key]: per
# "key|minute" and per key, each [count, sum].
sub sums_by_minute_and_key
{
	my ($events) = @_;
	my (%minute, %key);
	for my $e (@$events)
	{
		my ($v, $s, $k) = @$e;
		my $m = int($s / 60);
		$minute{"$k|$m"}[0]++;
		$minute{"$k|$m"}[1] += $v;
		$key{$k}[0]++;
		$key{$k}[1] += $v;
	}
	return (\%minute, \%key);
}

# After a restore or pg_upgrade: windows analyzed again ($evens among them),
# all running ($running: "name=running ..."), without errors, and depending
# on app.is_even(int) again.
sub check_windows_moved
{
	my ($node, $running, $what) = @_;
	like(PostgreSQL::Test::Utils::slurp_file($node->logfile),
		qr/analyzing window "app.evens" again from its SQL text/, "$what: the windows were analyzed again");
	is($node->safe_psql('postgres', q{SELECT string_agg(name || '=' || state, ' ' ORDER BY name) FROM sw.windows}),
		$running, "$what: the windows run");
	is($node->safe_psql('postgres', q{SELECT count(*) FROM sw.window_errors}), '0', "$what: without errors");
	my ($rc, $out, $err) = $node->psql('postgres', 'DROP FUNCTION app.is_even(int)');
	like($err, qr/cannot drop function app.is_even\(integer\) because other objects depend on it/,
		"$what: the window depends on its user function again");
}

package SwTest::Broker;

use strict;
use warnings;
use File::Temp qw(tempdir);
use IPC::Run;
use Test::More;
use Time::HiRes qw(usleep);

sub start
{
	my ($class, %opts) = @_;
	my $dir = tempdir(CLEANUP => 1);
	my $file = "$dir/bootstrap";
	my @cmd = ('test/sw_broker', '--bootstrap-file', $file);
	push @cmd, '--topic', $_ for @{ $opts{topics} };
	my ($out, $err) = ('', '');
	local $ENV{GLIBC_TUNABLES} =
	  'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=67108864:glibc.malloc.arena_max=1';
	my $h = IPC::Run::start(\@cmd, '>', \$out, '2>', \$err);
	my $deadline = time + 30;
	while (!-s $file && time < $deadline) { usleep(50_000); }
	die "sw_broker did not start: $err" unless -s $file;
	open my $fh, '<', $file or die;
	my $bootstrap = <$fh>;
	chomp $bootstrap;
	close $fh;
	return bless { handle => $h, bootstrap => $bootstrap, err => \$err }, $class;
}

sub bootstrap { $_[0]->{bootstrap} }

# Produce and wait for every delivery; dies unless all were delivered.
sub produce
{
	my ($self, $topic, %opts) = @_;
	my @cmd = ('test/sw_produce', '-b', $self->{bootstrap}, '-t', $topic,
		'-X', 'reconnect.backoff.max.ms=500', @{ $opts{args} // [] });
	my $in = $opts{input} // '';
	my ($out, $err) = ('', '');
	IPC::Run::run(\@cmd, '<', \$in, '>', \$out, '2>', \$err)
	  or die "sw_produce failed: $err";
	return $out;
}

# Produce in the background; $p->wait returns true when all was delivered.
sub produce_async
{
	my ($self, $topic, %opts) = @_;
	my @cmd = ('test/sw_produce', '-b', $self->{bootstrap}, '-t', $topic,
		'-X', 'reconnect.backoff.max.ms=500', @{ $opts{args} // [] });
	my $p = bless { in => $opts{input} // '', out => '', err => '' }, 'SwTest::Producer';
	$p->{handle} = IPC::Run::start(\@cmd, '<', \$p->{in}, '>', \$p->{out}, '2>', \$p->{err});
	return $p;
}

sub down { kill 'USR1', $_[0]->{handle}->{KIDS}[0]{PID}; }
sub up { kill 'USR2', $_[0]->{handle}->{KIDS}[0]{PID}; }

sub stop
{
	my ($self) = @_;
	return unless $self->{handle};
	$self->{handle}->signal('TERM');
	$self->{handle}->finish;
	delete $self->{handle};
}

sub DESTROY { $_[0]->stop; }

package SwTest::Producer;

sub wait
{
	my ($self) = @_;
	my $ok = $self->{handle}->finish;
	Test::More::diag("sw_produce: $self->{err}") unless $ok;
	return $ok;
}


package SwTest::Broker;

# Like produce_async, but the lines of $opts{input} are read from a file, so
# that they flow while the test polls (a scalar input is only fed to the
# producer once $p->wait pumps it).
sub produce_lines_async
{
	my ($self, $topic, %opts) = @_;
	my $file = File::Temp::tempdir(CLEANUP => 1) . '/input';
	open my $fh, '>', $file or die "could not write $file: $!";
	print $fh $opts{input} // '';
	close $fh;
	my @cmd = ('test/sw_produce', '-b', $self->{bootstrap}, '-t', $topic,
		'-X', 'reconnect.backoff.max.ms=500', @{ $opts{args} // [] });
	my $p = bless { in => '', out => '', err => '' }, 'SwTest::Producer';
	$p->{handle} = IPC::Run::start(\@cmd, '<', $file, '>', \$p->{out}, '2>', \$p->{err});
	return $p;
}

1;
