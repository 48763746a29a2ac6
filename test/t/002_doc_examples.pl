# 002_doc_examples.pl — every example in docs/reference.md and
# docs/semantics.md runs, and prints exactly what the docs say it prints.
#
# How the docs are read (the convention the docs follow):
#
#   * An example is a fenced block whose info string is exactly "sql",
#     followed by a fenced block with no info string ("```").  Only blank
#     lines may stand between the two.  The second block is the expected
#     output: what "psql -X" prints in its default aligned format with
#     TimeZone = 'UTC', DateStyle = 'ISO, YMD' and IntervalStyle =
#     'postgres', which this test sets before every example.
#
#   * A "sql" block that is not followed by an output block is setup (for
#     example a small events table): it runs, must succeed, and its output
#     is not compared.  Setup persists for the rest of the document because
#     each document runs in a database of its own, in document order; but
#     each block runs in a session of its own, so a SET or a temporary table
#     lasts for one block only.
#
#   * Blocks with any other info string ("text", ...) are prose: never run.
#
#   * A "sql" block whose first line begins with "-- not run:" (followed by
#     the reason, as in "-- not run: needs a broker") is not run, and
#     neither is its output block: it shows what a real run printed, for
#     examples that need something this test does not start.  Such blocks
#     do not count as examples.
#
#   * The output compared is psql's standard output followed by its standard
#     error, as psql -q prints them (command tags such as SET or INSERT 0 1
#     are not shown).  On standard error psql's location prefix
#     ("psql:<stdin>:N: ") is removed, so an example that fails shows its
#     ERROR, DETAIL and HINT lines just as an interactive psql does:
#
#         ```sql
#         SELECT sw.tumble(now(), '0 seconds');
#         ```
#
#         ```
#         ERROR:  window size must be positive
#         DETAIL:  The size given is "00:00:00".
#         HINT:  Give a size of at least one microsecond, for example '1 minute'.
#         ```
#
#   * Trailing whitespace on each line, and blank lines at the start and end
#     of either side, are ignored; everything else must match exactly.
#
# One is() per example, named by the document, the line of its "sql" fence
# and the first line of its SQL.  The paths are relative to the current
# directory, which is the repository root when the suite runs.
#
# The cluster preloads stream_windows, and sw.database names the database
# of docs/reference.md (sources can only be created there); no Kafka broker
# runs, so the sources of the examples point at an address where none
# listens.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my @docs = ('docs/reference.md', 'docs/semantics.md');

# The database a document's examples run in.
sub doc_database
{
	my ($doc) = @_;
	my $db = ($doc =~ s{.*/}{}r) =~ s/\W/_/gr;
	return "doc_$db";
}

# Settings every example runs under, so that the output is deterministic.
my $prelude = join("\n",
	q{SET TimeZone = 'UTC';},
	q{SET DateStyle = 'ISO, YMD';},
	q{SET IntervalStyle = 'postgres';}, '');

# Split a Markdown file into examples and setup blocks, in order.
# Returns a list of { line, sql, expected } (expected undef for setup).
sub parse_doc
{
	my ($path) = @_;
	open(my $fh, '<', $path) or die "could not open \"$path\": $!";
	my @lines = <$fh>;
	close($fh);
	chomp(@lines);

	# fenced blocks: { info, line, body }
	my @blocks;
	for (my $i = 0; $i < @lines; $i++)
	{
		next unless $lines[$i] =~ /^```\s*(\S*)\s*$/;
		my $info = $1;
		my $start = $i;
		my @body;
		for ($i++; $i < @lines && $lines[$i] !~ /^```\s*$/; $i++)
		{
			push @body, $lines[$i];
		}
		die "$path:" . ($start + 1) . ": unterminated code block\n"
		  if $i >= @lines;
		push @blocks,
		  {
			info => $info,
			line => $start + 1,
			end => $i + 1,
			body => join("\n", @body)
		  };
	}

	my @items;
	for (my $b = 0; $b < @blocks; $b++)
	{
		next unless $blocks[$b]{info} eq 'sql';
		my $item = { line => $blocks[$b]{line}, sql => $blocks[$b]{body} };
		my $next = $blocks[ $b + 1 ];
		if (   $next
			&& $next->{info} eq ''
			&& !grep { /\S/ }
			@lines[ $blocks[$b]{end} .. $next->{line} - 2 ])
		{
			$item->{expected} = $next->{body};
			$b++;
		}
		push @items, $item;
	}
	return @items;
}

# Lines without trailing whitespace, without leading and trailing blank lines.
sub normalize
{
	my ($text) = @_;
	my @lines = map { s/\s+$//r } split(/\n/, $text, -1);
	shift @lines while @lines && $lines[0] eq '';
	pop @lines while @lines && $lines[-1] eq '';
	return join("\n", @lines);
}

# Run one block through psql; returns (exit code, stdout, stderr).
sub run_psql
{
	my ($node, $db, $sql, $stop_on_error) = @_;
	my ($out, $err) = ('', '');
	my @cmd = (
		$node->installed_command('psql'),
		'-X', '-q', '-P', 'pager=off',
		'-v', 'ON_ERROR_STOP=' . ($stop_on_error ? '1' : '0'),
		'-d', $node->connstr($db), '-f', '-');
	IPC::Run::run(\@cmd, '<', \($prelude . $sql . "\n"),
		'>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'stream_windows'\n"
	  . "sw.database = '" . doc_database('docs/reference.md') . "'\n");
$node->start;

foreach my $doc (@docs)
{
	my @items = grep { $_->{sql} !~ /\A\s*--\s*not run:/ } parse_doc($doc);
	my $examples = grep { defined $_->{expected} } @items;
	ok($examples > 0, "$doc: has examples ($examples)");

	# a database per document, so that documents cannot see each other's
	# setup
	my $db = doc_database($doc);
	$node->safe_psql('postgres', qq{CREATE DATABASE "$db"});
	$node->safe_psql($db, 'CREATE EXTENSION stream_windows');

	foreach my $item (@items)
	{
		my ($first) = grep { /\S/ } split(/\n/, $item->{sql});
		$first = '' unless defined $first;
		$first =~ s/^\s+|\s+$//g;
		my $name = "$doc:$item->{line}: $first";

		if (!defined $item->{expected})
		{
			my ($rc, $out, $err) = run_psql($node, $db, $item->{sql}, 1);
			ok($rc == 0 && $err !~ /ERROR|FATAL|PANIC/, "setup $name")
			  or diag("exit code $rc\n$err");
			next;
		}

		my ($rc, $out, $err) = run_psql($node, $db, $item->{sql}, 0);
		$err =~ s/^psql:[^\n]*?:\d+: //mg;
		my $got = normalize($out);
		my $errors = normalize($err);
		$got .= ($got eq '' ? '' : "\n") . $errors if $errors ne '';
		is($got, normalize($item->{expected}), $name);
	}
}

$node->stop;
done_testing();
