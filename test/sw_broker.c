/*-------------------------------------------------------------------------
 *
 * sw_broker.c
 *	  The embedded Kafka-protocol broker used by the tests and the demo.
 *
 * stream_windows needs a Kafka broker to test against, and neither the test
 * suite nor the demo may depend on a JVM.  librdkafka ships a mock cluster
 * that speaks enough of the Kafka protocol (Metadata, Produce, Fetch,
 * ListOffsets, consumer groups) for a real client to produce to it and
 * consume from it over TCP on the loopback interface.  This program wraps
 * it in a process that test scripts can start, query and stop:
 *
 *		sw_broker [--brokers N] [--topic NAME:PARTITIONS]...
 *				  [--bootstrap-file PATH] [--pid-file PATH]
 *
 * It creates the cluster, creates every topic given, and only then prints
 * the bootstrap address (one line, e.g. "127.0.0.1:34567") on stdout and,
 * with --bootstrap-file, writes the same line to that file by writing a
 * temporary file and renaming it, so a script may poll for the file and
 * read a complete address with the topics already in place.  It then waits
 * for signals:
 *
 *		SIGUSR1			take every broker down: connections are closed and
 *						new ones refused (no leader change happens)
 *		SIGUSR2			bring every broker up again
 *		SIGTERM, SIGINT, SIGHUP
 *						remove the bootstrap file, destroy the cluster,
 *						remove the pid file, exit 0 (a file is removed only
 *						if it still holds what this process wrote); the
 *						mock takes up to a second to stop
 *
 * The signals are blocked before librdkafka starts its threads, so that
 * every thread inherits the mask, and the main thread collects them with
 * sigwait(); the librdkafka calls are thus made from the main thread, never
 * from a signal handler, and nothing polls.
 *
 * Limitations of the mock that users of this tool must know:
 *
 *	- Retention is by size only: each partition keeps about 5 MB or 100,000
 *	  message sets (whichever is reached first) and silently drops the
 *	  oldest sets beyond that, whatever their age or the produce rate.  The
 *	  log start offset (low watermark) then moves up.  About 20,000 web
 *	  events of ~230 bytes fit in a partition: a preload of 1 M events needs
 *	  about 50 partitions (or compressed sets: they are stored as produced),
 *	  and a live consumer must stay within ~20,000 events of the head of
 *	  each partition.  Check the low watermark after preloading.
 *	- Everything lives in memory and dies with the process.
 *	- While the brokers are down, clients get "connection refused", report
 *	  "all brokers are down" (an error event; kcat exits on it unless given
 *	  -E) and reconnect with their backoff once the brokers are up: with
 *	  librdkafka's default reconnect.backoff.max.ms of 10 s that takes up
 *	  to several seconds.  Committed data survives an outage.
 *	- A fetch returns at most one message set per partition, so the
 *	  producer's batching decides the consumer's batch size.
 *	- Creating a topic sometimes stalls for about a second.
 *	- The CreateTopics admin request is not supported; topics unknown to
 *	  the cluster may be auto-created by a client's Metadata request with
 *	  the mock's default partition count, so create topics here.
 *
 * Most of the mock's CPU goes to allocating and faulting in a fresh buffer
 * for every fetch response.  For benchmarks start this program with
 *
 *		GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:\
 *		glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=67108864:\
 *		glibc.malloc.arena_max=1
 *
 * (one line), which cuts its CPU per message several times.
 *
 * IDENTIFICATION
 *	  test/sw_broker.c
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_BROKERS			16
#define MAX_PARTITIONS		10000

/* One --topic argument. */
typedef struct BrokerTopic
{
	char	   *name;
	int			partitions;
} BrokerTopic;

static const char *progname = "sw_broker";

static void
usage(FILE *out)
{
	fprintf(out,
			"%s runs librdkafka's mock Kafka cluster for tests and the demo.\n"
			"\n"
			"Usage:\n"
			"  %s [--brokers N] [--topic NAME:PARTITIONS]... "
			"[--bootstrap-file PATH] [--pid-file PATH]\n"
			"\n"
			"Options:\n"
			"  --brokers N            number of brokers (default 1)\n"
			"  --topic NAME:PARTS     create topic NAME with PARTS partitions\n"
			"                         (repeatable; PARTS defaults to 1)\n"
			"  --bootstrap-file PATH  once the topics exist, write the bootstrap\n"
			"                         address to PATH (atomically)\n"
			"  --pid-file PATH        write the process id to PATH\n"
			"  --help                 show this help and exit\n"
			"\n"
			"The bootstrap address is printed on stdout once the topics exist.\n"
			"Signals: SIGUSR1 takes all brokers down, SIGUSR2 brings them up,\n"
			"SIGTERM or SIGINT stops the cluster and exits 0.\n"
			"Each partition keeps about 5 MB or 100,000 message sets; older\n"
			"sets are dropped silently.\n",
			progname, progname);
}

/*
 * Parse a decimal integer in [min, max]; false if it is not one.
 */
static bool
parse_int(const char *s, int min, int max, int *result)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*result = (int) v;
	return true;
}

/*
 * Write one line to path, atomically: readers see either no file or the
 * whole line.  Returns false (errno set) on failure.
 */
static bool
write_file_atomically(const char *path, const char *line)
{
	size_t		tmplen = strlen(path) + 32;
	char	   *tmp = malloc(tmplen);
	FILE	   *f;
	bool		ok;

	if (tmp == NULL)
		return false;
	snprintf(tmp, tmplen, "%s.tmp.%ld", path, (long) getpid());

	f = fopen(tmp, "w");
	if (f == NULL)
	{
		free(tmp);
		return false;
	}
	ok = fprintf(f, "%s\n", line) >= 0;
	ok = (fflush(f) == 0) && ok;
	ok = (fclose(f) == 0) && ok;
	if (ok)
		ok = rename(tmp, path) == 0;
	if (!ok)
	{
		int			save_errno = errno;

		unlink(tmp);
		errno = save_errno;
	}
	free(tmp);
	return ok;
}

/*
 * Remove path if it still holds the line we wrote there.  Another instance
 * started with the same path after we were told to stop may have replaced
 * it already; its file must survive our exit.
 */
static void
remove_own_file(const char *path, const char *line)
{
	char		buf[1024];
	FILE	   *f = fopen(path, "r");
	bool		ours;

	if (f == NULL)
		return;
	ours = fgets(buf, sizeof(buf), f) != NULL &&
		strncmp(buf, line, strlen(line)) == 0 &&
		strcmp(buf + strlen(line), "\n") == 0;
	fclose(f);
	if (ours)
		unlink(path);
}

/*
 * librdkafka log callback: prefix its lines so that they can be told apart
 * from the clients' in a shared log.  The handle exists only to host the
 * mock cluster and has no bootstrap servers; its complaint about that is
 * noise.
 */
static void
broker_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void) rk;
	if (strstr(buf, "bootstrap.servers") != NULL)
		return;
	fprintf(stderr, "%s: librdkafka %d %s: %s\n", progname, level, fac, buf);
}

/*
 * Take every broker down (up = false) or bring every one up.  Brokers are
 * numbered from 1.
 */
static void
set_brokers(rd_kafka_mock_cluster_t *mcluster, int nbrokers, bool up)
{
	int			id;

	for (id = 1; id <= nbrokers; id++)
	{
		rd_kafka_resp_err_t err;

		if (up)
			err = rd_kafka_mock_broker_set_up(mcluster, id);
		else
			err = rd_kafka_mock_broker_set_down(mcluster, id);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
			fprintf(stderr, "%s: could not set broker %d %s: %s\n",
					progname, id, up ? "up" : "down", rd_kafka_err2str(err));
	}
	fprintf(stderr, "%s: brokers %s\n", progname, up ? "up" : "down");
}

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"brokers", required_argument, NULL, 'n'},
		{"topic", required_argument, NULL, 't'},
		{"bootstrap-file", required_argument, NULL, 'f'},
		{"pid-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			nbrokers = 1;
	BrokerTopic *topics;
	int			ntopics = 0;
	const char *bootstrap_file = NULL;
	const char *pid_file = NULL;
	sigset_t	sigs;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mcluster;
	const char *bootstraps;
	char		errstr[512];
	char		pidtext[32];
	int			replication;
	int			c;
	int			i;

	topics = calloc(argc, sizeof(BrokerTopic));
	if (topics == NULL)
	{
		fprintf(stderr, "%s: out of memory\n", progname);
		return 1;
	}

	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'n':
				if (!parse_int(optarg, 1, MAX_BROKERS, &nbrokers))
				{
					fprintf(stderr, "%s: invalid --brokers \"%s\": "
							"expected an integer from 1 to %d\n",
							progname, optarg, MAX_BROKERS);
					return 2;
				}
				break;
			case 't':
				{
					char	   *name = strdup(optarg);
					char	   *colon;
					int			parts = 1;

					if (name == NULL)
					{
						fprintf(stderr, "%s: out of memory\n", progname);
						return 1;
					}
					colon = strrchr(name, ':');
					if (colon != NULL)
					{
						*colon = '\0';
						if (!parse_int(colon + 1, 1, MAX_PARTITIONS, &parts))
						{
							fprintf(stderr, "%s: invalid partition count in "
									"--topic \"%s\": expected an integer "
									"from 1 to %d\n",
									progname, optarg, MAX_PARTITIONS);
							return 2;
						}
					}
					if (name[0] == '\0')
					{
						fprintf(stderr,
								"%s: empty topic name in --topic \"%s\"\n",
								progname, optarg);
						return 2;
					}
					topics[ntopics].name = name;
					topics[ntopics].partitions = parts;
					ntopics++;
				}
				break;
			case 'f':
				bootstrap_file = optarg;
				break;
			case 'p':
				pid_file = optarg;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				fprintf(stderr, "Try \"%s --help\" for more information.\n",
						progname);
				return 2;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "%s: unexpected argument \"%s\"\n",
				progname, argv[optind]);
		fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
		return 2;
	}

	/*
	 * Block the signals we wait for before librdkafka creates its threads:
	 * they inherit the mask, so the signals stay pending until sigwait()
	 * collects them here.  A signal that arrives while topics are being
	 * created is handled once they are.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0)
	{
		fprintf(stderr, "%s: could not block signals: %s\n",
				progname, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* a test that dies (or forgets to stop us) takes the broker with it */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
		return 1;

	snprintf(pidtext, sizeof(pidtext), "%ld", (long) getpid());
	if (pid_file != NULL)
	{
		if (!write_file_atomically(pid_file, pidtext))
		{
			fprintf(stderr, "%s: could not write pid file \"%s\": %s\n",
					progname, pid_file, strerror(errno));
			return 1;
		}
	}

	/*
	 * The mock cluster needs a client handle to live in; a producer handle
	 * without bootstrap servers does nothing else.
	 */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, broker_log);
	if (rd_kafka_conf_set(conf, "client.id", "sw_broker",
						  errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
	{
		fprintf(stderr, "%s: %s\n", progname, errstr);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		fprintf(stderr, "%s: could not create librdkafka handle: %s\n",
				progname, errstr);
		return 1;
	}

	mcluster = rd_kafka_mock_cluster_new(rk, nbrokers);
	if (mcluster == NULL)
	{
		fprintf(stderr, "%s: could not create mock cluster\n", progname);
		return 1;
	}

	/* Replicas are simulated; three at most, as on a small real cluster. */
	replication = nbrokers < 3 ? nbrokers : 3;
	for (i = 0; i < ntopics; i++)
	{
		rd_kafka_resp_err_t err;

		err = rd_kafka_mock_topic_create(mcluster, topics[i].name,
										 topics[i].partitions, replication);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			fprintf(stderr, "%s: could not create topic \"%s\": %s\n",
					progname, topics[i].name, rd_kafka_err2str(err));
			return 1;
		}
	}

	bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
	printf("%s\n", bootstraps);
	fflush(stdout);

	if (bootstrap_file != NULL &&
		!write_file_atomically(bootstrap_file, bootstraps))
	{
		fprintf(stderr, "%s: could not write bootstrap file \"%s\": %s\n",
				progname, bootstrap_file, strerror(errno));
		return 1;
	}

	fprintf(stderr, "%s: %d broker(s) at %s, %d topic(s), pid %ld\n",
			progname, nbrokers, bootstraps, ntopics, (long) getpid());

	for (;;)
	{
		int			sig;
		int			rc;

		rc = sigwait(&sigs, &sig);
		if (rc != 0)
		{
			fprintf(stderr, "%s: sigwait failed: %s\n", progname, strerror(rc));
			return 1;
		}
		if (sig == SIGUSR1)
			set_brokers(mcluster, nbrokers, false);
		else if (sig == SIGUSR2)
			set_brokers(mcluster, nbrokers, true);
		else
			break;
	}

	/*
	 * The bootstrap file goes first, so no script starts using a cluster
	 * that is going away; the pid file goes last, once the ports are closed.
	 */
	fprintf(stderr, "%s: shutting down\n", progname);
	if (bootstrap_file != NULL)
		remove_own_file(bootstrap_file, bootstraps);
	rd_kafka_mock_cluster_destroy(mcluster);
	rd_kafka_destroy(rk);
	if (pid_file != NULL)
		remove_own_file(pid_file, pidtext);
	for (i = 0; i < ntopics; i++)
		free(topics[i].name);
	free(topics);
	return 0;
}
