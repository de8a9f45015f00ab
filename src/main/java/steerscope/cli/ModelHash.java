package steerscope.cli;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import steerscope.io.Json;
import steerscope.model.Model;

/** A short hash of a model's config and weight names/shapes/dtypes: which base a vector file was made for. */
final class ModelHash {
    private ModelHash() {}

    static String of(Model m) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Json.write(m.config.toJson()).getBytes(StandardCharsets.UTF_8));
            m.weights.forEachMat((n, mat) -> md.update((n + mat.rows + "x" + mat.cols + mat.dtype).getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
