package io.flotilla.agent.api;

import static java.util.Objects.requireNonNull;

/**
 * One fact about the agent's host: a load figure, a piece of hardware, a kernel parameter.
 *
 * @param type what it is about: {@code cpu}, {@code memory}, {@code net}, {@code disk}; for system
 *     facts {@code system} or {@code process}
 * @param device which one: {@code cpu}, {@code eth0}, {@code sda}, {@code sysctl}, {@code limits}
 * @param name the figure ({@code load1}, {@code rx-bytes/s}, {@code capacity})
 * @param value the figure's value as text
 */
public record HostItem(String type, String device, String name, String value) {
    public HostItem {
        requireNonNull(type, "type is null");
        requireNonNull(device, "device is null");
        requireNonNull(name, "name is null");
        requireNonNull(value, "value is null");
    }
}
