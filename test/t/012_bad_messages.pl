# 012_bad_messages.pl — bad input from Kafka goes to sw.dead_letters, once,
# with the raw bytes and the error, and ingest goes on; keys, NULL payloads,
# oversize payloads, CSV and text formats.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'bad:1', 'csvt:1', 'txt:1' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('bad', conf => "sw.max_message_bytes = 200\n");

$node->safe_psql('postgres', qq{
	SELECT sw.create_source('web', '$bs', 'bad', columns => 'n int, ip inet, t timestamptz, extra text')});

my $pad = 'x' x 250;
my @lines = (
	'k0|{"n": 0, "ip": "10.0.0.1", "t": "2026-11-25T12:00:00Z"}',
	'k1|{"n": 1, ',
	'k2|{"n": 2, "ip": "not-an-ip"}',
	'k3|\N',
	'k4|[1, 2]',
	qq(k5|{"n": 5, "pad": "$pad"}),
	'k6|{"n": "abc"}',
	'|{"n": 7, "t": 1764072000123, "extra": {"a": [1, 2]}}',
	'{"n": 8, "t": "2026-11-25 12:00:00", "ip": null}',
);
$broker->produce('bad', input => join("\n", @lines) . "\n", args => [ '-K', '|', '-N' ]);

SwTest::poll($node, q{SELECT next_offset FROM sw.source_partitions}, '9',
	'every message is accounted for');
is($node->safe_psql('postgres', q{
	SELECT string_agg(format('%s|%s|%s|%s|%s|%s', kafka_offset, coalesce(kafka_key, '<null>'), n, ip, t, extra), E'\n' ORDER BY kafka_offset)
	FROM web}),
	join("\n",
		'0|k0|0|10.0.0.1|2026-11-25 12:00:00+00|',
		'7||7||2025-11-25 12:00:00.123+00|{"a": [1, 2]}',
		'8|<null>|8||2026-11-25 12:00:00+00|'),
	'good messages are staged: keys (empty, NULL), epoch ms, UTC without offset, JSON text');

my $dead = $node->safe_psql('postgres', q{
	SELECT string_agg(format('%s|%s|%s|%s', kafka_offset, kafka_key, payload IS NULL, error), E'\n' ORDER BY kafka_offset)
	FROM sw.dead_letters WHERE source_name = 'web'});
my @dead = split /\n/, $dead;
is(scalar @dead, 6, 'six bad messages in sw.dead_letters');
like($dead[0], qr/^1\|k1\|f\|invalid JSON/, 'truncated JSON');
like($dead[1], qr/^2\|k2\|f\|.*invalid input syntax for type inet: "not-an-ip"/, 'a value inet rejects');
like($dead[2], qr/^3\|k3\|t\|message has no payload/, 'a NULL payload');
like($dead[3], qr/^4\|k4\|f\|.*not a JSON object/, 'an array payload');
like($dead[4], qr/^5\|k5\|f\|payload of \d+ bytes exceeds sw.max_message_bytes \(200 bytes\)/, 'an oversize payload');
like($dead[5], qr/^6\|k6\|f\|.*invalid input syntax for type integer: "abc"/, 'a value int rejects');
is($node->safe_psql('postgres', q{
	SELECT convert_from(payload, 'UTF8') FROM sw.dead_letters WHERE kafka_offset = 2}),
	'{"n": 2, "ip": "not-an-ip"}', 'the raw bytes are kept');
is($node->safe_psql('postgres', q{SELECT dead_letters, messages FROM sw.sources WHERE name = 'web'}),
	'6|9', 'sw.sources counts them');

# CSV and text
$node->safe_psql('postgres', qq{
	SELECT sw.create_source('csv_rows', '$bs', 'csvt', format => 'csv', columns => 'a int, b text');
	SELECT sw.create_source('lines', '$bs', 'txt', format => 'text')});
$broker->produce('csvt', input => qq(1,hello\n2,"quoted, ""comma"""\nx,bad\n3\n4,\n));
$broker->produce('txt', input => "first line\nsecond line\n");
SwTest::poll($node, q{SELECT string_agg(a || ':' || coalesce(b, '<null>'), ' ' ORDER BY a) FROM csv_rows},
	'1:hello 2:quoted, "comma" 4:<null>', 'CSV rows staged, empty field is NULL');
is($node->safe_psql('postgres', q{
	SELECT string_agg(kafka_offset || ':' || error, E'\n' ORDER BY kafka_offset) FROM sw.dead_letters WHERE source_name = 'csv_rows'}),
	qq(2:column "a": invalid input syntax for type integer: "x"\n3:expected 2 CSV fields, found 1),
	'bad CSV rows are dead letters');
SwTest::poll($node, q{SELECT string_agg(payload, '|' ORDER BY kafka_offset) FROM lines},
	'first line|second line', 'text payloads staged as they are');

# a crash empties staging: good rows come back, dead letters are not recorded twice
$node->stop('immediate');
$node->start;
SwTest::poll($node, q{SELECT count(*) FROM web}, '3', 'staging restaged after the crash');
SwTest::poll($node, q{SELECT count(*) FROM csv_rows}, '3', 'CSV staging restaged after the crash');
is($node->safe_psql('postgres', q{SELECT count(*) FROM sw.dead_letters}), '8',
	'dead letters are recorded exactly once');

$node->stop;
$broker->stop;
done_testing();
