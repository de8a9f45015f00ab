package steerscope.cli;

import picocli.CommandLine.Command;

@Command(name = "experiment", description = "The paper's later experiments, each writing NAME.json and report.html into --out (docs/experiments.md).",
        subcommands = {AdaptiveCommand.class})
final class ExperimentCommand implements Runnable {
    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }
}
