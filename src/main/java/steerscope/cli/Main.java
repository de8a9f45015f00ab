package steerscope.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import steerscope.tensor.Backend;
import steerscope.util.Interrupts;
import steerscope.util.UserError;

/** Entry point: every subcommand, and the one place where a {@link steerscope.util.UserError} becomes a line and exit 2. */
@Command(name = "steerscope", mixinStandardHelpOptions = true, version = "steerscope 0.1.0", scope = CommandLine.ScopeType.INHERIT,
        description = "Train and read RL steering vectors in the residual stream of decoder language models.",
        subcommands = {
                InspectCommand.class,
                TokenizeCommand.class,
                ScoreCommand.class,
                GenerateCommand.class,
                VectorsCommand.class,
                ExperimentCommand.class,
                ExportCommand.class,
                TrainCommand.class,
                EvalCommand.class,
                AnalyzeCommand.class,
                ReportCommand.class,
                OrganismCommand.class,
                DemoCommand.class,
                BenchCommand.class,
                VerifyCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class Main implements Runnable {
    public static void main(String[] args) {
        Interrupts.install(); // Ctrl-C / SIGTERM: finish the write in progress, remove temp files, say how to resume
        int status;
        try {
            status = run(args);
        } finally {
            Interrupts.finished();
        }
        System.exit(status);
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // the matmul backend is chosen before any command runs (here, so that a missing library is a one-line error)
        // (and put back afterwards: tests run many command lines in one JVM)
        kernels = "java";
        Backend before = Backend.current();
        cli.setExecutionStrategy(parsed -> {
            try {
                Backend.select(kernels);
            } catch (UserError e) {
                cli.getErr().println("error: " + e.getMessage());
                return 2;
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof UserError) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        try {
            return cli.execute(args);
        } finally {
            Backend.use(before);
        }
    }

    /** The --kernels value of the command line being run (an inherited option: every subcommand accepts it). */
    private static String kernels = "java";

    @Option(names = "--kernels", paramLabel = "java|native|auto", scope = CommandLine.ScopeType.INHERIT,
            description = "matmul kernels: java (Vector API; bit-for-bit batch invariant; default: oneDNN was not faster on the "
                    + "CPUs measured, docs/performance.md), native (oneDNN, libdnnl2) or auto (native when the library loads)")
    void kernels(String choice) {
        if (!List.of("java", "native", "auto").contains(choice)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--kernels: expected java, native or auto, got '" + choice + "'");
        }
        kernels = choice;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
