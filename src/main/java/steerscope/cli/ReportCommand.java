package steerscope.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import steerscope.report.ReportWriter;

@Command(name = "report", description = "Write one self-contained report.html from the analysis files in a directory.")
final class ReportCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "directory with summary.json, the analysis JSON files and the runs")
    Path dir;

    @Option(names = "--out", paramLabel = "FILE", description = "output HTML (default DIR/report.html)")
    Path out;

    @Override
    public Integer call() {
        Path target = out != null ? out : dir.resolve("report.html");
        ReportWriter.write(dir, target);
        System.out.println("wrote " + target);
        return 0;
    }
}
