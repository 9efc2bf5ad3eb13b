import io.flotilla.topology.TopologyGenerator;

/** Prints a generated topology of N instances (bench helper, run with the installed jars on the class path). */
public class GenerateTopology {
    public static void main(String[] args) {
        System.out.print(TopologyGenerator.generate(Integer.parseInt(args[0])));
    }
}
