package io.flotilla.catalog;

/**
 * The names pods of one rendered cluster reach each other by, given by the Kubernetes renderer: a
 * tier's workload is {@code <cluster>-<tier>}, its Service has the workload's name, and a stateful
 * tier's pods are named by a headless Service.
 */
public interface PodAddresses {
    String cluster();

    String namespace();

    /** The cluster's DNS domain, for clients that do not use the resolver's search list. */
    String clusterDomain();

    /** The workload of a tier, and the name of its Service. */
    String workload(String tier);

    /** The headless Service that names a stateful tier's pods. */
    String peerService(String tier);

    /** A Service's name as pods resolve it through their search list. */
    String serviceHost(String service);

    /** A pod of a stateful tier as its peers resolve it. */
    String podHost(String tier, int ordinal);

    /** The pod's own stable name, with {@code POD_NAME} set from the downward API. */
    String ownPodHost(String tier);

    /** A component's image: its repository at the topology's version, from the configured registry. */
    String image(String component);
}
