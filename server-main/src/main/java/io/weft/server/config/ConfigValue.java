package io.weft.server.config;

/** A node of a parsed configuration: a map (block), a list (array) or a scalar. */
public sealed interface ConfigValue permits ConfigMap, ConfigList, ConfigScalar {
    Position position();

    /** What the node is, in words, for error messages ("map", "array", "string", ...). */
    String typeName();
}
