package io.weft.engine.jetstream;

/**
 * The JetStream API errors the stream side reports, with nats-server's HTTP-like code, err_code and
 * description (from nats-server's errors.json; checked against nats-server 2.9.10 where it has them).
 */
public final class JsErrors {
    private JsErrors() {
    }

    public static final JsApiError BAD_REQUEST = new JsApiError(400, 10003, "bad request");
    public static final JsApiError INVALID_JSON = new JsApiError(400, 10025, "invalid JSON");
    public static final JsApiError NOT_EMPTY_REQUEST = new JsApiError(400, 10038, "expected an empty request payload");
    public static final JsApiError NOT_ENABLED = new JsApiError(503, 10076, "JetStream not enabled");
    public static final JsApiError NOT_ENABLED_FOR_ACCOUNT = new JsApiError(503, 10039, "JetStream not enabled for account");
    public static final JsApiError ACCOUNT_RESOURCES_EXCEEDED = new JsApiError(400, 10002, "resource limits exceeded for account");
    public static final JsApiError INSUFFICIENT_RESOURCES = new JsApiError(503, 10023, "insufficient resources");
    public static final JsApiError MEMORY_RESOURCES_EXCEEDED = new JsApiError(500, 10028, "insufficient memory resources available");
    public static final JsApiError STORAGE_RESOURCES_EXCEEDED = new JsApiError(500, 10047, "insufficient storage resources available");
    public static final JsApiError MAXIMUM_STREAMS = new JsApiError(400, 10027, "maximum number of streams reached");
    public static final JsApiError MAXIMUM_CONSUMERS = new JsApiError(400, 10026, "maximum consumers limit reached");
    /** A request whose {@code Nats-Required-Api-Level} weft does not reach (nats-server 2.12+). */
    public static final JsApiError REQUIRED_API_LEVEL = new JsApiError(412, 10185, "JetStream minimum api level required");
    public static final JsApiError MAX_BYTES_REQUIRED = new JsApiError(400, 10113, "account requires a stream config to have max bytes set");
    public static final JsApiError MAX_STREAM_BYTES_EXCEEDED = new JsApiError(400, 10122, "stream max bytes exceeds account limit max stream bytes");

    public static final JsApiError CLUSTER_REQUIRED = new JsApiError(503, 10010, "JetStream clustering support required");
    // clustered JetStream (the meta group)
    public static final JsApiError CLUSTER_NOT_AVAILABLE = new JsApiError(503, 10008, "JetStream system temporarily unavailable");
    public static final JsApiError CLUSTER_NO_PEERS = new JsApiError(400, 10005, "{err}");
    public static final JsApiError CLUSTER_NOT_LEADER = new JsApiError(500, 10009, "JetStream cluster can not handle request");
    public static final JsApiError RAFT_GENERAL = new JsApiError(500, 10041, "{err}");
    public static final JsApiError CONSUMER_NOT_FOUND = new JsApiError(404, 10014, "consumer not found");
    public static final JsApiError STREAM_NOT_FOUND = new JsApiError(404, 10059, "stream not found");
    public static final JsApiError STREAM_NAME_EXIST = new JsApiError(400, 10058, "stream name already in use with a different configuration");
    public static final JsApiError STREAM_MISMATCH = new JsApiError(400, 10056, "stream name in subject does not match request");
    public static final JsApiError STREAM_SUBJECT_OVERLAP = new JsApiError(400, 10065, "subjects overlap with an existing stream");
    public static final JsApiError STREAM_INVALID_CONFIG = new JsApiError(500, 10052, "{err}");
    public static final JsApiError STREAM_CREATE = new JsApiError(500, 10049, "{err}");
    public static final JsApiError STREAM_UPDATE = new JsApiError(500, 10069, "{err}");
    public static final JsApiError STREAM_DELETE = new JsApiError(500, 10050, "{err}");
    public static final JsApiError STREAM_GENERAL = new JsApiError(500, 10051, "{err}");
    public static final JsApiError STREAM_REPLICAS_NOT_SUPPORTED = new JsApiError(500, 10074, "replicas > 1 not supported in non-clustered mode");
    public static final JsApiError STREAM_NAME_PATH_SEPARATORS = new JsApiError(400, 10128, "Stream name can not contain path separators");
    public static final JsApiError STREAM_MIRROR_NOT_UPDATABLE = new JsApiError(400, 10055, "stream mirror configuration can not be updated");
    public static final JsApiError STREAM_MOVE_AND_SCALE = new JsApiError(400, 10123, "can not move and scale a stream in a single update");
    public static final JsApiError CLUSTER_PEER_NOT_MEMBER = new JsApiError(400, 10040, "peer not a member");
    public static final JsApiError PEER_REMAP = new JsApiError(503, 10075, "peer remap failed");
    public static final JsApiError CLUSTER_SERVER_NOT_MEMBER = new JsApiError(400, 10044, "server is not a member of the cluster");
    public static final JsApiError CLUSTER_MEMBER_CHANGE_INFLIGHT = new JsApiError(400, 10202, "cluster member change is in progress");
    public static final JsApiError STREAM_REPLICAS_NOT_UPDATABLE = new JsApiError(400, 10061, "Replicas configuration can not be updated");
    public static final JsApiError MSG_TTL_INVALID = new JsApiError(400, 10165, "invalid per-message TTL");
    public static final JsApiError MSG_TTL_DISABLED = new JsApiError(400, 10166, "per-message TTL is disabled");
    // message schedules (ADR-51), as nats-server 2.15.1
    public static final JsApiError SCHEDULES_DISABLED = new JsApiError(400, 10188, "message schedules is disabled");
    public static final JsApiError SCHEDULES_PATTERN_INVALID = new JsApiError(400, 10189, "message schedules pattern is invalid");
    public static final JsApiError SCHEDULES_TARGET_INVALID = new JsApiError(400, 10190, "message schedules target is invalid");
    public static final JsApiError SCHEDULES_TTL_INVALID = new JsApiError(400, 10191, "message schedules invalid per-message TTL");
    public static final JsApiError SCHEDULES_ROLLUP_INVALID = new JsApiError(400, 10192, "message schedules invalid rollup");
    public static final JsApiError SCHEDULES_SOURCE_INVALID = new JsApiError(400, 10203, "message schedules source is invalid");
    public static final JsApiError SCHEDULES_SCHEDULER_INVALID = new JsApiError(400, 10212, "message schedules invalid scheduler");
    public static final JsApiError SCHEDULES_TIME_ZONE_INVALID = new JsApiError(400, 10223, "message schedules time zone is invalid");
    public static final JsApiError INCR_DISABLED = new JsApiError(400, 10168, "message counters is disabled");
    public static final JsApiError INCR_MISSING = new JsApiError(400, 10169, "message counter increment is missing");
    public static final JsApiError INCR_PAYLOAD = new JsApiError(400, 10170, "message counter has payload");
    public static final JsApiError INCR_INVALID = new JsApiError(400, 10171, "message counter increment is invalid");
    public static final JsApiError COUNTER_BROKEN = new JsApiError(400, 10172, "message counter is broken");
    public static final JsApiError STREAM_SEALED = new JsApiError(400, 10109, "invalid operation on sealed stream");
    public static final JsApiError STREAM_PURGE_FAILED = new JsApiError(500, 10110, "{err}");
    public static final JsApiError STREAM_MSG_DELETE_FAILED = new JsApiError(500, 10057, "{err}");
    public static final JsApiError STREAM_TRANSFORM_INVALID_SOURCE = new JsApiError(400, 10155, "stream transform source: {err}");
    public static final JsApiError STREAM_TRANSFORM_INVALID_DEST = new JsApiError(400, 10156, "stream transform: {err}");
    public static final JsApiError NO_MESSAGE_FOUND = new JsApiError(404, 10037, "no message found");
    public static final JsApiError SEQUENCE_NOT_FOUND = new JsApiError(400, 10043, "sequence {seq} not found");
    public static final JsApiError MIRROR_WITH_SUBJECTS = new JsApiError(400, 10034, "stream mirrors can not contain subjects");

    // publish path (PubAck errors)
    public static final JsApiError MESSAGE_EXCEEDS_MAXIMUM = new JsApiError(400, 10054, "message size exceeds maximum allowed");
    public static final JsApiError HEADER_EXCEEDS_MAXIMUM = new JsApiError(400, 10097, "header size exceeds maximum allowed of 64k");
    public static final JsApiError STREAM_NOT_MATCH = new JsApiError(400, 10060, "expected stream does not match");
    public static final JsApiError WRONG_LAST_SEQUENCE = new JsApiError(400, 10071, "wrong last sequence: {seq}");
    public static final JsApiError WRONG_LAST_MSG_ID = new JsApiError(400, 10070, "wrong last msg ID: {id}");
    public static final JsApiError STREAM_STORE_FAILED = new JsApiError(503, 10077, "{err}");
    public static final JsApiError ROLLUP_FAILED = new JsApiError(500, 10111, "{err}");
    // atomic batch publish (ADR-50, nats-server 2.12+)
    public static final JsApiError MIRROR_WITH_ATOMIC = new JsApiError(400, 10198, "stream mirrors can not also use atomic publishing");
    public static final JsApiError MIRROR_WITH_FIRST_SEQ = new JsApiError(400, 10143, "stream mirrors can not have first sequence configured");
    public static final JsApiError MIRROR_WITH_SOURCES = new JsApiError(400, 10031, "stream mirrors can not also contain other sources");
    public static final JsApiError MIRROR_WITH_COUNTERS = new JsApiError(400, 10173, "stream mirrors can not also calculate counters");
    public static final JsApiError MIRROR_WITH_SCHEDULES = new JsApiError(400, 10186, "stream mirrors can not also schedule messages");
    public static final JsApiError MIRROR_WITH_BATCH = new JsApiError(400, 10209, "stream mirrors can not also use batch publishing");
    public static final JsApiError ATOMIC_DISABLED = new JsApiError(400, 10174, "atomic publish is disabled");
    public static final JsApiError ATOMIC_MISSING_SEQ = new JsApiError(400, 10175, "atomic publish sequence is missing");
    public static final JsApiError ATOMIC_INCOMPLETE = new JsApiError(400, 10176, "atomic publish batch is incomplete");
    public static final JsApiError ATOMIC_UNSUPPORTED_HEADER = new JsApiError(400, 10177, "atomic publish unsupported header used: {header}");
    public static final JsApiError ATOMIC_INVALID_ID = new JsApiError(400, 10179, "atomic publish batch ID is invalid");
    public static final JsApiError ATOMIC_TOO_LARGE = new JsApiError(400, 10199, "atomic publish batch is too large: {size}");
    public static final JsApiError ATOMIC_INVALID_COMMIT = new JsApiError(400, 10200, "atomic publish batch commit is invalid");
    public static final JsApiError ATOMIC_DUPLICATE_ID = new JsApiError(400, 10201, "atomic publish batch contains duplicate message id");
    public static final JsApiError ATOMIC_TOO_MANY_INFLIGHT = new JsApiError(429, 10210, "atomic publish too many inflight");
    public static final JsApiError WRONG_LAST_SEQUENCE_CONSTANT = new JsApiError(400, 10164, "wrong last sequence");
    public static final JsApiError STREAM_LIMITS = new JsApiError(500, 10053, "{err}");

    /** Stream configuration errors, all 500/10052 with a specific description. */
    public static JsApiException invalidConfig(String why) {
        return STREAM_INVALID_CONFIG.with(why).exception();
    }
}
