# 013_broker_outage.pl — the broker goes down for several seconds and comes
# back: the source shows the error meanwhile, then carries on with nothing
# lost or duplicated.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'outage:2' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('outage');
$node->safe_psql('postgres', qq{
	SELECT sw.create_source('o', '$bs', 'outage', columns => 'n int',
		options => '{"reconnect.backoff.max.ms": "500"}')});
$broker->produce('outage', args => [ '--generate', 'seq', '--count', 2000, '--partitions', 2 ]);
SwTest::poll($node, 'SELECT count(*) FROM o', '2000', 'ingest before the outage');

$broker->down;
SwTest::poll($node, q{SELECT state = 'error' AND last_error IS NOT NULL FROM sw.sources}, 't',
	'the outage shows in sw.sources');
note $node->safe_psql('postgres', 'SELECT last_error FROM sw.sources');
is($node->safe_psql('postgres', q{SELECT string_agg(next_offset::text, ',' ORDER BY kafka_partition) FROM sw.source_partitions}),
	'1000,1000', 'sw.source_partitions answers during the outage');
$broker->up;

$broker->produce('outage', args => [ '--generate', 'seq', '--count', 2000, '--partitions', 2 ]);
SwTest::poll($node, q{SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM o},
	'4000 4000', 'after the outage nothing is lost or duplicated');
SwTest::poll($node, q{SELECT state FROM sw.sources}, 'running', 'and the source runs again');

$node->stop;
$broker->stop;
done_testing();
