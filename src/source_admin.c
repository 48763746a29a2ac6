/*-------------------------------------------------------------------------
 *
 * source_admin.c
 *	  SQL functions that create and administer sources:
 *	  sw.create_source, sw.pause_source, sw.resume_source,
 *	  sw.reset_source and sw.drop_source.
 *
 * Every argument is checked before anything is created, so a bad call
 * changes nothing.  The staging table is created as the calling user (who
 * needs CREATE on its schema and becomes its owner); the extension's own
 * tables are written as the superuser.  Workers are started and stopped by
 * the launcher, which these functions wake when their transaction commits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "storage/lmgr.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include <signal.h>

#include "catalog.h"
#include "compat.h"
#include "privilege.h"
#include "source_lock.h"
#include "kafka_options.h"
#include "formats.h"
#include "guc.h"
#include "kafka.h"
#include "shmem.h"
#include "window.h"

PG_FUNCTION_INFO_V1(sw_create_source);
PG_FUNCTION_INFO_V1(sw_pause_source);
PG_FUNCTION_INFO_V1(sw_resume_source);
PG_FUNCTION_INFO_V1(sw_reset_source);
PG_FUNCTION_INFO_V1(sw_drop_source);

#define ADMIN_ROLE "stream_windows_admin"

/* ------------------------------------------------------------------------
 * What happens at commit: wake the launcher, stop workers
 * ------------------------------------------------------------------------
 */

/*
 * What a transaction asked for, carried out at its commit only: a stop or
 * a drop rolled back with a savepoint does nothing, and a transaction that
 * asked for any of it cannot be prepared (its commit would happen in
 * another session, which would not do it).
 */
typedef struct AtCommit
{
	int			source_id;
	bool		stop;			/* terminate its worker */
	bool		forget;			/* dropped: its status slot goes */
	SubTransactionId subid;		/* who asked; rolled back with it */
} AtCommit;

static bool xact_callback_registered = false;
static List *at_commit_list = NIL;	/* AtCommit, in TopMemoryContext */

static void
admin_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event == XACT_EVENT_PRE_PREPARE && at_commit_list != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot PREPARE a transaction that created or administered a stream_windows source"),
				 errdetail("Workers are started and stopped when such a transaction commits, which a prepared transaction does in another session."),
				 errhint("Commit it directly.")));
	if (event == XACT_EVENT_COMMIT)
	{
		foreach(lc, at_commit_list)
		{
			AtCommit   *ac = lfirst(lc);

			if (ac->stop)
			{
				pid_t		pid = sw_slot_request_stop(ac->source_id);

				if (pid != 0)
					kill(pid, SIGTERM);
			}
			if (ac->forget)
				sw_slot_release(ac->source_id);
		}
		if (at_commit_list != NIL)
			sw_wake_launcher();
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		list_free_deep(at_commit_list);
		at_commit_list = NIL;
	}
}

static void
admin_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	foreach(lc, at_commit_list)
	{
		AtCommit   *ac = lfirst(lc);

		if (ac->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			ac->subid = parentSubid;
		else if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			at_commit_list = foreach_delete_current(at_commit_list, lc);
			pfree(ac);
		}
	}
}

static void
at_commit(int source_id, bool stop, bool forget)
{
	AtCommit   *ac;
	MemoryContext old;

	if (!xact_callback_registered)
	{
		RegisterXactCallback(admin_xact_callback, NULL);
		RegisterSubXactCallback(admin_subxact_callback, NULL);
		xact_callback_registered = true;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	ac = palloc(sizeof(AtCommit));
	ac->source_id = source_id;
	ac->stop = stop;
	ac->forget = forget;
	ac->subid = GetCurrentSubTransactionId();
	at_commit_list = lappend(at_commit_list, ac);
	MemoryContextSwitchTo(old);
}

/* ------------------------------------------------------------------------
 * Checks shared by every function
 * ------------------------------------------------------------------------
 */

static void
check_admin(const char *action)
{
	Oid			admin = get_role_oid(ADMIN_ROLE, true);

	if (superuser() || (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s", action),
			 errdetail("Only superusers and members of role \"%s\" may create sources.",
					   ADMIN_ROLE),
			 errhint("Ask a superuser to GRANT %s TO %s.", ADMIN_ROLE,
					 GetUserNameFromId(GetUserId(), false))));
}

/* The worker connects as the owner: a role that cannot log in cannot own a source. */
static void
check_owner_can_login(void)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(GetUserId()));
	bool		canlogin;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for role %u", GetUserId());
	canlogin = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	if (!canlogin)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("role \"%s\" cannot own a source because it cannot log in",
						GetUserNameFromId(GetUserId(), false)),
				 errdetail("A source's worker connects to the database as the source's owner, the role that creates it."),
				 errhint("Create the source as a role with LOGIN, or ALTER ROLE %s LOGIN.",
						 quote_identifier(GetUserNameFromId(GetUserId(), false)))));
}

static void
check_server_setup(void)
{
	char	   *dbname = get_database_name(MyDatabaseId);

	if (sw_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stream_windows is not loaded through shared_preload_libraries"),
				 errdetail("Sources are consumed by background workers, which only a preloaded library can start."),
				 errhint("Add stream_windows to shared_preload_libraries in postgresql.conf and restart the server.")));
	if (strcmp(dbname, sw_database) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sources can only be created in database \"%s\"", sw_database),
				 errdetail("The current database is \"%s\"; the workers run in the database named by sw.database.",
						   dbname),
				 errhint("Connect to \"%s\", or set sw.database to \"%s\" and restart the server.",
						 sw_database, dbname)));
}

/* What each required argument is, for messages: name, detail, hint. */
static const char *const argument_help[][3] = {
	{"name", "A source is named after its staging table.",
	"Give the staging table's name, for example 'web_events' or 'ingest.web_events'."},
	{"brokers", "The brokers are the bootstrap servers of the Kafka cluster.",
	"Give host:port pairs, for example 'kafka1:9092,kafka2:9092'."},
	{"topic", "A source consumes every partition of one Kafka topic.",
	"Give the topic's name, for example 'web-events'."},
	{"format", "The format says how a message's payload becomes columns.",
	"Valid formats are \"json\", \"csv\" and \"text\"."},
	{"start_from", "start_from says where a source starts reading a partition.",
	"Give 'earliest', 'latest' or a timestamp with time zone."},
	{"options", "options are librdkafka properties, as a JSON object.",
	"Give '{}' for none."},
	{"retention", "retention is how long staged rows are kept.",
	"For example retention => '1 hour'."},
};

static void
report_bad_argument(const char *argname, bool is_null)
{
	for (size_t i = 0; i < lengthof(argument_help); i++)
		if (strcmp(argument_help[i][0], argname) == 0)
			ereport(ERROR,
					(errcode(is_null ? ERRCODE_NULL_VALUE_NOT_ALLOWED :
							 ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be %s", argname, is_null ? "null" : "empty"),
					 errdetail("%s", argument_help[i][1]),
					 errhint("%s", argument_help[i][2])));
	elog(ERROR, "unexpected argument \"%s\"", argname);
}

static char *
required_text(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	char	   *value;

	if (PG_ARGISNULL(argno))
		report_bad_argument(argname, true);
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (value[0] == '\0')
		report_bad_argument(argname, false);
	return value;
}

/* 'earliest', 'latest' or a timestamptz literal */
static void
check_start_from(const char *start_from)
{
	if (strcmp(start_from, "earliest") == 0 || strcmp(start_from, "latest") == 0)
		return;
	PG_TRY();
	{
		TimestampTz ts = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
																 CStringGetDatum(start_from),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));

		if (TIMESTAMP_NOT_FINITE(ts))
			elog(ERROR, "infinite");
	}
	PG_CATCH();
	{
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid start_from \"%s\"", start_from),
				 errdetail("start_from is 'earliest', 'latest' or a timestamp with time zone."),
				 errhint("For example start_from => '2026-11-25 12:00:00+00'.")));
	}
	PG_END_TRY();
}

static void
check_topic(const char *topic)
{
	if (strlen(topic) > 249 ||
		strspn(topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		strlen(topic) || strcmp(topic, ".") == 0 || strcmp(topic, "..") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid Kafka topic name \"%s\"", topic),
				 errdetail("Topic names are 1 to 249 characters from [a-zA-Z0-9._-]."),
				 errhint("Give the topic's name exactly as Kafka knows it.")));
}

static void
check_retention(Interval *retention)
{
	if (retention->month != 0 || retention->day < 0 || retention->time < 0 ||
		(retention->day == 0 && retention->time == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention must be a positive fixed duration"),
				 errdetail("Months and years have no fixed length, and staged rows must be kept for some time."),
				 errhint("For example retention => '1 hour' or '7 days'.")));
}

/* Flat JSON object of librdkafka properties → key/value strings. */
static SwKafkaOptions
options_from_jsonb(Jsonb *options)
{
	SwKafkaOptions opts = {0};
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	int			cap;

	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errdetail("options are librdkafka properties as key/value pairs."),
				 errhint("For example options => '{\"security.protocol\": \"SASL_SSL\"}'.")));
	cap = JB_ROOT_COUNT(options) + 1;
	opts.keys = palloc(sizeof(char *) * cap);
	opts.values = palloc(sizeof(char *) * cap);
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			char	   *value;

			if (v.type == jbvString)
				value = pnstrdup(v.val.string.val, v.val.string.len);
			else if (v.type == jbvNumeric)
				value = DatumGetCString(DirectFunctionCall1(numeric_out,
															NumericGetDatum(v.val.numeric)));
			else if (v.type == jbvBool)
				value = v.val.boolean ? "true" : "false";
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("value of Kafka option \"%s\" must be a string, number or boolean",
								key),
						 errdetail("librdkafka properties are flat key/value pairs."),
						 errhint("Write nested settings with dotted keys, for example {\"ssl.ca.location\": \"/etc/ssl/ca.pem\"}.")));
			opts.keys[opts.count] = key;
			opts.values[opts.count++] = value;
		}
	}
	return opts;
}

/*
 * columns is a list of column definitions: prove it is nothing else by
 * parsing it as the body of a CREATE TABLE, before it is used in one.
 */
static void
check_columns(const char *columns)
{
	List	   *volatile stmts = NIL;
	CreateStmt *create;
	ListCell   *lc;
	bool		ok = false;

	PG_TRY();
	{
		stmts = raw_parser(psprintf("CREATE TABLE sw_check (%s)", columns), RAW_PARSE_DEFAULT);
		ok = true;
	}
	PG_CATCH();
	{
		FlushErrorState();
	}
	PG_END_TRY();
	if (!ok || list_length(stmts) != 1 ||
		!IsA(linitial_node(RawStmt, stmts)->stmt, CreateStmt))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("invalid column list \"%s\"", columns),
				 errdetail("columns is a comma-separated list of column definitions."),
				 errhint("For example columns => 'url text, ip inet, event_time timestamptz'.")));
	create = (CreateStmt *) linitial_node(RawStmt, stmts)->stmt;
	if (create->inhRelations != NIL || create->partbound != NULL ||
		create->partspec != NULL || create->ofTypename != NULL ||
		create->constraints != NIL || create->options != NIL ||
		create->oncommit != ONCOMMIT_NOOP || create->tablespacename != NULL ||
		create->accessMethod != NULL || create->if_not_exists)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("invalid column list \"%s\"", columns),
				 errdetail("columns may only list column definitions, not clauses of the table such as INHERITS, PARTITION BY, USING, WITH or TABLESPACE."),
				 errhint("Create the source with its columns only; a superuser may change the staging table afterwards.")));
	if (create->tableElts == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns must define at least one column"),
				 errdetail("columns lists the staging table's columns after the four Kafka columns."),
				 errhint("For example columns => 'url text, ip inet, event_time timestamptz'.")));
	foreach(lc, create->tableElts)
	{
		ColumnDef  *col = (ColumnDef *) lfirst(lc);
		int32		typmod;
		Type		typ;
		ListCell   *lc2;

		if (!IsA(col, ColumnDef))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("columns may only define columns"),
					 errdetail("Table constraints and LIKE clauses are not allowed in a staging table."),
					 errhint("Add indexes to the staging table once sw.create_source has created it.")));
		if (col->constraints != NIL || col->raw_default != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" of a staging table cannot have constraints or defaults",
							col->colname),
					 errdetail("Ingest writes staging rows directly; constraints and defaults would not be applied."),
					 errhint("Give only names and types, for example columns => 'url text, ms int'.")));
		if (strncmp(col->colname, "kafka_", 6) == 0 &&
			(strcmp(col->colname, "kafka_partition") == 0 || strcmp(col->colname, "kafka_offset") == 0 ||
			 strcmp(col->colname, "kafka_timestamp") == 0 || strcmp(col->colname, "kafka_key") == 0))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("column name \"%s\" is reserved in a staging table", col->colname),
					 errdetail("Every staging table starts with kafka_partition, kafka_offset, kafka_timestamp and kafka_key."),
					 errhint("Name the column differently.")));
		foreach(lc2, create->tableElts)
			if (lc2 != lc && IsA(lfirst(lc2), ColumnDef) &&
				strcmp(((ColumnDef *) lfirst(lc2))->colname, col->colname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column \"%s\" appears more than once in columns", col->colname),
						 errdetail("Each field of a message goes to one column."),
						 errhint("Give every column a distinct name.")));
		typ = LookupTypeName(NULL, col->typeName, &typmod, true);
		if (typ != NULL)
			ReleaseSysCache(typ);
		else
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("type \"%s\" of column \"%s\" does not exist",
							TypeNameToString(col->typeName), col->colname),
					 errdetail("Staging columns take the types of the database."),
					 errhint("Check the spelling, or create the type first.")));
	}
}

/* The staging table must be new, in a schema that exists and the caller may create in. */
static void
check_staging_name(RangeVar *rv)
{
	Oid			nsp = get_namespace_oid(rv->schemaname, true);

	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", rv->schemaname),
				 errdetail("The staging table \"%s\" would be created in it.", rv->relname),
				 errhint("Create the schema first, or name another one.")));
	if (sw_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create a staging table in schema \"%s\"", rv->schemaname),
				 errdetail("The staging table is created, and owned, by the user who creates the source."),
				 errhint("Ask the schema's owner to GRANT CREATE ON SCHEMA %s TO %s.",
						 quote_identifier(rv->schemaname), GetUserNameFromId(GetUserId(), false))));
	if (OidIsValid(get_relname_relid(rv->relname, nsp)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s.%s\" already exists", rv->schemaname, rv->relname),
				 errdetail("sw.create_source creates the staging table itself."),
				 errhint("Choose another name, or drop the existing table first.")));
}

/* The user columns of the staging table, by format. */
static const char *
user_columns(SwFormatKind kind, const char *format, const char *columns)
{
	if (kind == SW_FORMAT_TEXT)
	{
		if (columns != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("format \"text\" does not take columns"),
					 errdetail("A text source stages each payload in one column \"payload text\"."),
					 errhint("Leave columns out, or use format 'json' or 'csv'.")));
		return "payload text";
	}
	if (columns == NULL)
	{
		if (kind == SW_FORMAT_CSV)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("format \"csv\" needs columns"),
					 errdetail("CSV fields are matched to columns by position."),
					 errhint("Give the columns in field order, for example columns => 'url text, ip inet'.")));
		return "payload jsonb";
	}
	check_columns(columns);
	return columns;
}

/* ------------------------------------------------------------------------
 * Looking sources up
 * ------------------------------------------------------------------------
 */

typedef struct SourceRef
{
	int			id;
	Oid			staging;
	Oid			owner;			/* the staging table's, else as recorded */
	char	   *name;
} SourceRef;

static void
source_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	SourceRef  *ref = arg;
	bool		isnull;

	ref->id = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	ref->staging = DatumGetObjectId(heap_getattr(tup, 2, desc, &isnull));
	ref->name = TextDatumGetCString(heap_getattr(tup, 3, desc, &isnull));
	ref->owner = DatumGetObjectId(heap_getattr(tup, 4, desc, &isnull));
}

/*
 * A source by its name, or else by the staging table the name resolves to
 * in the caller's search_path: exactly one.
 */
static SourceRef
lookup_source(const char *name)
{
	SourceRef	ref = {0};

	catalog_find_by_name("source", "staging", "id, staging, name, owner", name,
						 source_row, &ref);
	if (ref.id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source \"%s\" does not exist", name),
				 errdetail("A source is named after its staging table, as given to sw.create_source."),
				 errhint("The sources are listed in sw.sources.")));
	ref.owner = sw_effective_owner(ref.staging, ref.owner);
	return ref;
}

/* A table owned by role, dropped or emptied as that role. */
static void
exec_as_owner(Oid owner, const char *sql)
{
	(void) catalog_run(owner, sql, 0, NULL, NULL, NULL, SPI_OK_UTILITY, NULL, NULL);
}


/* ------------------------------------------------------------------------
 * The SQL functions
 * ------------------------------------------------------------------------
 */

/*
 * sw.create_source(name, brokers, topic, format, columns, start_from,
 *					options, retention) RETURNS regclass
 */
Datum
sw_create_source(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *brokers;
	char	   *topic;
	char	   *format;
	char	   *columns = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	char	   *start_from;
	Jsonb	   *options;
	Interval   *retention;
	SwKafkaOptions opts;
	List	   *names;
	RangeVar   *rv;
	Oid			relid;
	Oid			types[12] = {TEXTOID, OIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, JSONBOID, INTERVALOID, OIDOID, TEXTOID, TEXTOID};
	Datum		values[12];
	char		nulls[12] = "            ";
	int			source_id = 0;
	SwFormatKind kind;

	check_admin("create source");
	check_server_setup();
	check_owner_can_login();
	name = required_text(fcinfo, 0, "name");
	brokers = required_text(fcinfo, 1, "brokers");
	topic = required_text(fcinfo, 2, "topic");
	format = required_text(fcinfo, 3, "format");
	start_from = required_text(fcinfo, 5, "start_from");
	if (PG_ARGISNULL(6) || PG_ARGISNULL(7))
		report_bad_argument(PG_ARGISNULL(6) ? "options" : "retention", true);
	options = PG_GETARG_JSONB_P(6);
	retention = PG_GETARG_INTERVAL_P(7);

	check_topic(topic);
	kind = formats_kind_from_name(format);
	format = kind == SW_FORMAT_JSON ? "json" : kind == SW_FORMAT_CSV ? "csv" : "text";
	check_start_from(start_from);
	check_retention(retention);
	opts = options_from_jsonb(options);
	kafka_refuse_unsafe_options(&opts, superuser());
	kafka_check_options(brokers, &opts);
	names = sw_qualified_name_list(name);
	rv = makeRangeVarFromNameList(names);
	if (rv->schemaname == NULL)
		rv->schemaname = get_namespace_name(RangeVarGetCreationNamespace(rv));
	check_staging_name(rv);

	/* the staging table, as the caller */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(psprintf("CREATE UNLOGGED TABLE %s (kafka_partition int NOT NULL,"
							 " kafka_offset bigint NOT NULL, kafka_timestamp timestamptz,"
							 " kafka_key text, %s)",
							 quote_qualified_identifier(rv->schemaname, rv->relname),
							 user_columns(kind, format, columns)),
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not create staging table");
	SPI_finish();
	relid = RangeVarGetRelid(rv, NoLock, false);

	/* the columns must suit the format: checked before anything commits */
	{
		Relation	rel = table_open(relid, AccessShareLock);

		(void) formats_prepare(rel, kind, CurrentMemoryContext);
		table_close(rel, AccessShareLock);
	}

	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(relid);
	values[2] = CStringGetTextDatum(brokers);
	values[3] = CStringGetTextDatum(topic);
	values[4] = CStringGetTextDatum(format);
	values[5] = columns ? CStringGetTextDatum(columns) : (Datum) 0;
	nulls[5] = columns ? ' ' : 'n';
	values[6] = CStringGetTextDatum(start_from);
	values[7] = JsonbPGetDatum(options);
	values[8] = IntervalPGetDatum(retention);
	values[9] = ObjectIdGetDatum(GetUserId());	/* the caller: the owner */
	/* by name too: after a dump and restore the OID is another */
	values[10] = CStringGetTextDatum(quote_qualified_identifier(rv->schemaname, rv->relname));
	values[11] = CStringGetTextDatum(catalog_home());
	(void) catalog_run(InvalidOid,
					   "INSERT INTO sw.source (name, staging, brokers, topic, format,"
					   " columns, start_from, options, retention, owner, staging_name, home)"
					   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
					   " RETURNING id",
					   12, types, values, nulls, SPI_OK_INSERT_RETURNING, catalog_row_int4, &source_id);

	at_commit(source_id, false, false);
	PG_RETURN_OID(relid);
}

static void
set_paused(FunctionCallInfo fcinfo, bool paused)
{
	char	   *name;
	SourceRef	ref;
	Oid			types[2] = {INT4OID, BOOLOID};
	Datum		values[2];

	name = required_text(fcinfo, 0, "name");
	ref = lookup_source(name);
	sw_priv_check_owner("source", ref.name, ref.owner, paused ? "pause it" : "resume it");
	values[0] = Int32GetDatum(ref.id);
	values[1] = BoolGetDatum(paused);
	catalog_exec("UPDATE sw.source SET paused = $2 WHERE id OPERATOR(pg_catalog.=) $1",
				 2, types, values, SPI_OK_UPDATE);
	at_commit(ref.id, paused, false);
}

Datum
sw_pause_source(PG_FUNCTION_ARGS)
{
	set_paused(fcinfo, true);
	PG_RETURN_VOID();
}

Datum
sw_resume_source(PG_FUNCTION_ARGS)
{
	set_paused(fcinfo, false);
	PG_RETURN_VOID();
}

typedef struct WindowList
{
	List	   *ids;
	List	   *results;
	List	   *names;
} WindowList;

static void
window_list_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	WindowList *wl = arg;
	bool		isnull;

	wl->ids = lappend_int(wl->ids, DatumGetInt32(heap_getattr(tup, 1, desc, &isnull)));
	wl->results = lappend_oid(wl->results, DatumGetObjectId(heap_getattr(tup, 2, desc, &isnull)));
	wl->names = lappend(wl->names, TextDatumGetCString(heap_getattr(tup, 3, desc, &isnull)));
}

/* The windows of a source. */
static void
windows_of(SourceRef ref, List **ids, List **results, List **names)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(ref.id)};
	WindowList	wl = {NIL, NIL, NIL};

	(void) catalog_run(InvalidOid,
					   "SELECT id, result, name FROM sw.window"
					   " WHERE source_id OPERATOR(pg_catalog.=) $1 ORDER BY id",
					   1, types, values, NULL, SPI_OK_SELECT, window_list_row, &wl);
	*ids = wl.ids;
	*results = wl.results;
	*names = wl.names;
}

/* ERROR when windows depend on the source; action is "drop" or "reset". */
static void
refuse_if_windows(SourceRef ref, const char *action)
{
	List	   *ids,
			   *results,
			   *names;
	ListCell   *lc;
	StringInfoData list;

	windows_of(ref, &ids, &results, &names);
	if (ids == NIL)
		return;
	initStringInfo(&list);
	foreach(lc, names)
		appendStringInfo(&list, "%s%s", list.len ? ", " : "", (char *) lfirst(lc));
	ereport(ERROR,
			(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			 errmsg("cannot %s source \"%s\" because windows depend on it", action, ref.name),
			 errdetail("Windows of this source: %s.", list.data),
			 strcmp(action, "drop") == 0 ?
			 errhint("Drop them first with sw.drop_window, or use sw.drop_source('%s', cascade => true).",
					 ref.name) :
			 errhint("Drop them first with sw.drop_window: replaying the topic would apply its events to them twice.")));
}

/* The windows of a source: dropped with cascade, an error without. */
static void
drop_windows_of(SourceRef ref, bool cascade)
{
	List	   *ids,
			   *results,
			   *names;
	ListCell   *a,
			   *b,
			   *c;

	if (!cascade)
	{
		refuse_if_windows(ref, "drop");
		return;
	}
	windows_of(ref, &ids, &results, &names);
	/* only the owner of a window may drop it, also through a cascade */
	forboth(b, results, c, names)
	{
		Oid			owner = sw_relation_owner(lfirst_oid(b));

		if (OidIsValid(owner) && !sw_priv_acts_as(owner))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for window \"%s\"", (char *) lfirst(c)),
					 errdetail("Dropping source \"%s\" with cascade would drop window \"%s\" of role \"%s\".",
							   ref.name, (char *) lfirst(c), GetUserNameFromId(owner, false)),
					 errhint("Ask its owner to drop it with sw.drop_window first, or a superuser to drop the source.")));
	}
	forthree(a, ids, b, results, c, names)
		sw_drop_window_by_id(lfirst_int(a), ref.id, lfirst_oid(b), lfirst(c));
}

/*
 * sw.reset_source(name, start_from): forget the stored offsets and start
 * again from start_from.  The staged rows no longer match any offsets, so
 * they go too.
 */
Datum
sw_reset_source(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *start_from;
	SourceRef	ref;
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2];

	name = required_text(fcinfo, 0, "name");
	start_from = required_text(fcinfo, 1, "start_from");
	check_start_from(start_from);
	ref = lookup_source(name);
	sw_priv_check_owner("source", ref.name, ref.owner, "reset it");
	refuse_if_windows(ref, "reset");

	values[0] = Int32GetDatum(ref.id);
	values[1] = CStringGetTextDatum(start_from);
	catalog_exec("UPDATE sw.source SET start_from = $2 WHERE id OPERATOR(pg_catalog.=) $1",
				 2, types, values, SPI_OK_UPDATE);
	catalog_exec("DELETE FROM sw.source_offset WHERE source_id OPERATOR(pg_catalog.=) $1",
				 1, types, values, SPI_OK_DELETE);
	/* the messages are read again: their dead letters will be recorded again */
	values[1] = CStringGetTextDatum(ref.name);
	catalog_exec("DELETE FROM sw.dead_letters WHERE source_name OPERATOR(pg_catalog.=) $2",
				 2, types, values, SPI_OK_DELETE);
	if (get_rel_name(ref.staging) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("staging table of source \"%s\" no longer exists", ref.name),
				 errdetail("It was dropped without sw.drop_source."),
				 errhint("Drop the source with sw.drop_source and create it again.")));
	/* as the owner: TRUNCATE triggers on staging are the owner's code */
	exec_as_owner(ref.owner,
				  psprintf("TRUNCATE %s",
						   quote_qualified_identifier(get_namespace_name(get_rel_namespace(ref.staging)),
													  get_rel_name(ref.staging))));
	at_commit(ref.id, true, false);
	PG_RETURN_VOID();
}

/* sw.drop_source(name, cascade): the source, its staging table and dead letters */
Datum
sw_drop_source(PG_FUNCTION_ARGS)
{
	char	   *name;
	bool		cascade = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	SourceRef	ref;
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		values[2];
	char	   *staging_name;

	name = required_text(fcinfo, 0, "name");
	ref = lookup_source(name);
	sw_priv_check_owner("source", ref.name, ref.owner, "drop it");

	/*
	 * Lock the staging table first: a batch in flight finishes, and the
	 * worker cannot start another before this commits.
	 */
	sw_source_lock_windows(ref.id, ExclusiveLock);
	LockRelationOid(ref.staging, AccessExclusiveLock);
	drop_windows_of(ref, cascade);
	values[0] = Int32GetDatum(ref.id);
	values[1] = CStringGetTextDatum(ref.name);
	catalog_exec("DELETE FROM sw.source WHERE id OPERATOR(pg_catalog.=) $1",
				 1, types, values, SPI_OK_DELETE);
	catalog_exec("DELETE FROM sw.dead_letters WHERE source_name OPERATOR(pg_catalog.=) $2",
				 2, types, values, SPI_OK_DELETE);
	/* the staging table may have been dropped by hand already */
	if (get_rel_name(ref.staging) != NULL)
	{
		staging_name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(ref.staging)),
												  get_rel_name(ref.staging));
		exec_as_owner(ref.owner, psprintf("DROP TABLE %s%s", staging_name,
										  cascade ? " CASCADE" : ""));
	}
	at_commit(ref.id, true, true);
	PG_RETURN_VOID();
}
