import io.flotilla.topology.Topology;
import io.flotilla.topology.TopologyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Parses and validates a topology file repeatedly in one JVM; prints the median warm time in ms. */
public class ParseTopology {
    public static void main(String[] args) throws Exception {
        String yaml = Files.readString(Path.of(args[0]));
        int runs = 20;
        double[] millis = new double[runs];
        int instances = 0;
        for (int i = 0; i < runs; i++) {
            long started = System.nanoTime();
            Topology topology = TopologyParser.parse(yaml, args[0]);
            millis[i] = (System.nanoTime() - started) / 1e6;
            instances = topology.instances().size();
        }
        Arrays.sort(millis);
        System.out.printf("%d %.1f%n", instances, millis[runs / 2]);
    }
}
