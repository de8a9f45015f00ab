package steerscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import steerscope.io.Json;
import steerscope.util.UserError;
import steerscope.verify.Extraction;
import steerscope.verify.MathVerifier;
import steerscope.verify.Targets;
import steerscope.verify.Verdict;

@Command(name = "verify", description = "Check a prediction against a gold answer with the reward's verifier (math_verify semantics).")
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--gold", paramLabel = "G", description = "gold answer (read whole; its last \\boxed{} if it has one)")
    String gold;

    @Option(names = "--pred", paramLabel = "P", description = "completion or answer (its last \\boxed{}, else the fallback rules)")
    String pred;

    @Option(names = "--file", paramLabel = "CASES.jsonl",
            description = "one case a line: gold, pred; optional expected (true/false, then agreement is printed), "
                    + "precision (decimals, default 6), match (latex | expr | latex,expr)")
    Path file;

    @Option(names = "--extraction", paramLabel = "MODE", description = "boxed-only | boxed-then-fallback (default)")
    String extraction = "boxed-then-fallback";

    @Option(names = "--json", description = "print each verdict as one JSON object")
    boolean json;

    @Override
    public Integer call() {
        Extraction mode = switch (extraction) {
            case "boxed-only" -> Extraction.BOXED_ONLY;
            case "boxed-then-fallback" -> Extraction.BOXED_THEN_FALLBACK;
            default -> throw new UserError("--extraction: expected boxed-only or boxed-then-fallback, got '" + extraction + "'");
        };
        MathVerifier verifier = new MathVerifier();
        if (file != null) {
            if (gold != null || pred != null) {
                throw new UserError("give either --file or --gold with --pred, not both");
            }
            return runFile(verifier, mode);
        }
        if (gold == null || pred == null) {
            throw new UserError("verify needs --gold G and --pred P, or --file CASES.jsonl");
        }
        Verdict v = verifier.verify(gold, pred, mode);
        print(v, null, mode);
        return 0;
    }

    private record Case(int line, String gold, String pred, Boolean expected, int digits, Targets targets) {}

    private Integer runFile(MathVerifier verifier, Extraction mode) {
        List<Case> cases = readCases(file);
        int withExpected = 0;
        int agree = 0;
        int falseAccepts = 0;
        List<String> disagreements = new ArrayList<>();
        for (Case c : cases) {
            Verdict v = verifier.verify(c.gold, c.pred, mode, c.targets, c.digits);
            print(v, c, mode);
            if (c.expected != null) {
                withExpected++;
                if (v.correct() == c.expected) {
                    agree++;
                } else {
                    falseAccepts += v.correct() ? 1 : 0;
                    disagreements.add("line " + c.line + ": expected " + c.expected + ", got " + v.correct() + " (" + v.reason() + ")");
                }
            }
        }
        if (withExpected > 0) {
            disagreements.forEach(d -> System.err.println("disagree " + d));
            System.err.printf(Locale.ROOT, "agreement: %d / %d = %.1f%% (false accepts %d, false rejects %d)%n", agree, withExpected,
                    100.0 * agree / withExpected, falseAccepts, withExpected - agree - falseAccepts);
        }
        return 0;
    }

    private static List<Case> readCases(Path path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw UserError.inFile(path, "cannot read: " + e.getMessage());
        }
        List<Case> cases = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int n = i + 1;
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (IOException e) {
                errors.add("line " + n + ": not JSON");
                continue;
            }
            if (node == null || !node.isObject() || !node.path("gold").isTextual() || !node.path("pred").isTextual()) {
                errors.add("line " + n + ": expected an object with string fields \"gold\" and \"pred\"");
                continue;
            }
            Boolean expected = null;
            JsonNode e = node.path("expected");
            if (e.isBoolean()) {
                expected = e.asBoolean();
            } else if (e.isInt() && (e.asInt() == 0 || e.asInt() == 1)) {
                expected = e.asInt() == 1;
            } else if (!e.isMissingNode() && !e.isNull()) {
                errors.add("line " + n + ": field \"expected\" must be true/false or 1/0");
                continue;
            }
            JsonNode p = node.path("precision");
            if (!p.isMissingNode() && !(p.isInt() && p.asInt() >= 0 && p.asInt() <= 30)) {
                errors.add("line " + n + ": field \"precision\" must be an integer from 0 to 30");
                continue;
            }
            Targets targets = switch (node.path("match").asText("latex,expr")) {
                case "latex" -> Targets.LATEX;
                case "expr" -> Targets.EXPR;
                case "latex,expr", "expr,latex" -> Targets.LATEX_AND_EXPR;
                default -> null;
            };
            if (targets == null) {
                errors.add("line " + n + ": field \"match\" must be latex, expr or latex,expr");
                continue;
            }
            cases.add(new Case(n, node.get("gold").asText(), node.get("pred").asText(), expected,
                    p.isMissingNode() ? MathVerifier.DEFAULT_DIGITS : p.asInt(), targets));
        }
        if (!errors.isEmpty()) {
            throw UserError.inFile(path, String.join("; ", errors.subList(0, Math.min(5, errors.size())))
                    + (errors.size() > 5 ? " (and " + (errors.size() - 5) + " more)" : ""));
        }
        if (cases.isEmpty()) {
            throw UserError.inFile(path, "no cases (expected JSON lines with \"gold\" and \"pred\")");
        }
        return cases;
    }

    private void print(Verdict v, Case c, Extraction mode) {
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            if (c != null) {
                out.put("line", c.line);
            }
            out.put("correct", v.correct());
            out.put("gold", v.gold());
            out.put("pred", v.predicted());
            out.put("extraction", mode.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            out.put("extracted_by", v.extractedBy());
            out.put("reason", v.reason());
            if (c != null && c.expected != null) {
                out.put("expected", c.expected);
            }
            System.out.println(Json.write(out));
        } else {
            System.out.println((c != null ? "line " + c.line + ": " : "") + (v.correct() ? "correct" : "incorrect")
                    + "  gold=" + v.gold() + "  pred=" + v.predicted() + "  [" + v.extractedBy() + "; " + v.reason() + "]");
        }
    }
}
