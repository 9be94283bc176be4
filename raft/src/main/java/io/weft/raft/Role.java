package io.weft.raft;

public enum Role { FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER }
