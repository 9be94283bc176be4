package io.weft.engine.jetstream.consumer;

import io.weft.engine.jetstream.JsApiError;

/** The consumer-related JetStream API errors, with nats-server's codes and descriptions. */
public final class ConsumerErrors {
    private ConsumerErrors() {
    }

    public static final JsApiError BAD_REQUEST = new JsApiError(400, 10003, "bad request");
    public static final JsApiError INVALID_JSON = new JsApiError(400, 10025, "invalid JSON");
    public static final JsApiError CLUSTER_REQUIRED = new JsApiError(503, 10010, "JetStream clustering support required");
    public static final JsApiError CREATE = new JsApiError(500, 10012, "{err}");
    public static final JsApiError NAME_EXIST = new JsApiError(400, 10013, "consumer name already in use");
    public static final JsApiError NOT_FOUND = new JsApiError(404, 10014, "consumer not found");
    public static final JsApiError DURABLE_NOT_IN_SUBJECT = new JsApiError(400, 10016, "consumer expected to be durable but no durable name set in subject");
    public static final JsApiError DURABLE_NOT_MATCH_SUBJECT = new JsApiError(400, 10017, "consumer name in subject does not match durable name in request");
    public static final JsApiError DURABLE_NOT_SET = new JsApiError(400, 10018, "consumer expected to be durable but a durable name was not set");
    public static final JsApiError EPHEMERAL_WITH_DURABLE_IN_SUBJECT = new JsApiError(400, 10019, "consumer expected to be ephemeral but detected a durable name set in subject");
    public static final JsApiError EPHEMERAL_WITH_DURABLE = new JsApiError(400, 10020, "consumer expected to be ephemeral but a durable name was set in request");
    public static final JsApiError STREAM_MISMATCH = new JsApiError(400, 10056, "stream name in subject does not match request");
    public static final JsApiError STREAM_NOT_FOUND = new JsApiError(404, 10059, "stream not found");
    public static final JsApiError CONFIG_REQUIRED = new JsApiError(400, 10078, "consumer config required");
    public static final JsApiError DELIVER_TO_WILDCARDS = new JsApiError(400, 10079, "consumer deliver subject has wildcards");
    public static final JsApiError PUSH_MAX_WAITING = new JsApiError(400, 10080, "consumer in push mode can not set max waiting");
    public static final JsApiError DELIVER_CYCLE = new JsApiError(400, 10081, "consumer deliver subject forms a cycle");
    public static final JsApiError MAX_PENDING_ACK_POLICY = new JsApiError(400, 10082, "consumer requires ack policy for max ack pending");
    public static final JsApiError SMALL_HEARTBEAT = new JsApiError(400, 10083, "consumer idle heartbeat needs to be >= 100ms");
    public static final JsApiError PULL_REQUIRES_ACK = new JsApiError(400, 10084, "consumer in pull mode requires explicit ack policy on workqueue stream");
    public static final JsApiError PULL_WITH_RATE_LIMIT = new JsApiError(400, 10086, "consumer in pull mode can not have rate limit set");
    public static final JsApiError MAX_WAITING_NEGATIVE = new JsApiError(400, 10087, "consumer max waiting needs to be positive");
    public static final JsApiError HB_REQUIRES_PUSH = new JsApiError(400, 10088, "consumer idle heartbeat requires a push based consumer");
    public static final JsApiError FC_REQUIRES_PUSH = new JsApiError(400, 10089, "consumer flow control requires a push based consumer");
    /** nats-server 2.15 reports a malformed filter subject as a stream config error. */
    public static final JsApiError BAD_FILTER_SUBJECT = new JsApiError(500, 10052, "invalid subject");
    public static final JsApiError FILTER_NOT_SUBSET = new JsApiError(400, 10093, "consumer filter subject is not a valid subset of the interest subjects");
    public static final JsApiError INVALID_POLICY = new JsApiError(400, 10094, "{err}");
    public static final JsApiError INVALID_SAMPLING = new JsApiError(400, 10095, "failed to parse consumer sampling configuration: {err}");
    public static final JsApiError WQ_REQUIRES_EXPLICIT_ACK = new JsApiError(400, 10098, "workqueue stream requires explicit ack");
    public static final JsApiError WQ_NOT_DELIVER_ALL = new JsApiError(400, 10101, "consumer must be deliver all on workqueue stream");
    public static final JsApiError NAME_TOO_LONG = new JsApiError(400, 10102, "consumer name is too long, maximum allowed is {max}");
    public static final JsApiError BAD_DURABLE_NAME = new JsApiError(400, 10103, "durable name can not contain '.', '*', '>'");
    public static final JsApiError STORE_FAILED = new JsApiError(500, 10104, "error creating store for consumer: {err}");
    public static final JsApiError EXISTING_ACTIVE = new JsApiError(400, 10105, "consumer already exists and is still active");
    public static final JsApiError DESCRIPTION_TOO_LONG = new JsApiError(400, 10107, "consumer description is too long, maximum allowed is {max}");
    public static final JsApiError FC_NEEDS_HEARTBEATS = new JsApiError(400, 10108, "consumer with flow control also needs heartbeats");
    public static final JsApiError INVALID_DELIVER_SUBJECT = new JsApiError(400, 10112, "invalid push consumer deliver subject");
    public static final JsApiError MAX_REQUEST_BATCH_NEGATIVE = new JsApiError(400, 10114, "consumer max request batch needs to be > 0");
    public static final JsApiError MAX_REQUEST_EXPIRES_TOO_SMALL = new JsApiError(400, 10115, "consumer max request expires needs to be >= 1ms");
    public static final JsApiError MAX_DELIVER_BACKOFF = new JsApiError(400, 10116, "max deliver is required to be > length of backoff values");
    public static final JsApiError MAX_PENDING_ACK_EXCESS = new JsApiError(400, 10121, "consumer max ack pending exceeds system limit of {limit}");
    public static final JsApiError REPLICAS_NOT_SUPPORTED = new JsApiError(500, 10074, "replicas > 1 not supported in non-clustered mode");
    public static final JsApiError REPLICAS_EXCEEDS_STREAM = new JsApiError(400, 10126, "consumer config replica count exceeds parent stream");
    public static final JsApiError NAME_PATH_SEPARATORS = new JsApiError(400, 10127, "Consumer name can not contain path separators");
    public static final JsApiError CREATE_FILTER_MISMATCH = new JsApiError(400, 10131, "Consumer create request did not match filtered subject from create subject");
    public static final JsApiError DURABLE_AND_NAME_MISMATCH = new JsApiError(400, 10132, "Consumer Durable and Name have to be equal if both are provided");
    public static final JsApiError REPLICAS_NEGATIVE = new JsApiError(400, 10133, "replicas count cannot be negative");
    public static final JsApiError METADATA_LENGTH = new JsApiError(400, 10135, "consumer metadata exceeds maximum size of {limit}");
    public static final JsApiError DUPLICATE_FILTERS = new JsApiError(400, 10136, "consumer cannot have both FilterSubject and FilterSubjects specified");
    public static final JsApiError PRIORITY_POLICY_WITHOUT_GROUP = new JsApiError(400, 10159, "Setting PriorityPolicy requires at least one PriorityGroup to be set");
    public static final JsApiError INVALID_PRIORITY_GROUP = new JsApiError(400, 10160, "Provided priority group does not exist for this consumer");
    public static final JsApiError EMPTY_GROUP_NAME = new JsApiError(400, 10161, "Group name cannot be an empty string");
    public static final JsApiError INVALID_GROUP_NAME = new JsApiError(400, 10162, "Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters");
    public static final JsApiError PUSH_WITH_PRIORITY_GROUP = new JsApiError(400, 10178, "priority groups can not be used with push consumers");
    public static final JsApiError PRIORITY_GROUP_WITH_POLICY_NONE = new JsApiError(400, 10196, "consumer can not have priority groups when policy is none");
    public static final JsApiError PINNED_TTL_WITHOUT_POLICY = new JsApiError(400, 10197, "PinnedTTL cannot be set when PriorityPolicy is none");
    public static final JsApiError MULTIPLE_FILTERS_NOT_ALLOWED = new JsApiError(400, 10137, "consumer with multiple subject filters cannot use subject based API");
    public static final JsApiError OVERLAPPING_FILTERS = new JsApiError(400, 10138, "consumer subject filters cannot overlap");
    public static final JsApiError EMPTY_FILTER = new JsApiError(400, 10139, "consumer filter in FilterSubjects cannot be empty");
    public static final JsApiError ALREADY_EXISTS = new JsApiError(400, 10148, "consumer already exists");
    public static final JsApiError DOES_NOT_EXIST = new JsApiError(400, 10149, "consumer does not exist");
    public static final JsApiError INACTIVE_THRESHOLD_EXCESS = new JsApiError(400, 10153, "consumer inactive threshold exceeds system limit of {limit}");
    public static final JsApiError ACK_WAIT_NEGATIVE = new JsApiError(400, 10183, "consumer ack wait needs to be positive");
    public static final JsApiError INVALID_RESET = new JsApiError(400, 10204, "invalid reset: {err}");
    public static final JsApiError BACKOFF_NEGATIVE = new JsApiError(400, 10184, "consumer backoff needs to be positive");
}
