package io.flotilla.agent.api;

/** Lets a fence go; with {@code writable}, the instance takes writes again. */
public record ReleaseRequest(boolean writable) {}
