package steerscope.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: every subcommand, and the one place where a {@link steerscope.util.UserError} becomes a line and exit 2. */
@Command(name = "steerscope", mixinStandardHelpOptions = true, version = "steerscope 0.1.0", scope = CommandLine.ScopeType.INHERIT,
        description = "Train and read RL steering vectors in the residual stream of decoder language models.",
        subcommands = {
                InspectCommand.class,
                TokenizeCommand.class,
                ScoreCommand.class,
                GenerateCommand.class,
                VectorsCommand.class,
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
        steerscope.util.Interrupts.install(); // Ctrl-C / SIGTERM: finish the write in progress, remove temp files, say how to resume
        int status;
        try {
            status = run(args);
        } finally {
            steerscope.util.Interrupts.finished();
        }
        System.exit(status);
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof steerscope.util.UserError) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
