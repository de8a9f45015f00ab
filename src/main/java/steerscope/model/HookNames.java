package steerscope.model;

/** TransformerLens hook-point names, built once per layer so the forward pass never formats strings. */
public final class HookNames {
    public static final String EMBED = "hook_embed";
    public static final String LN_FINAL = "ln_final.hook_normalized";

    public final String[] residPre, attnQ, attnK, attnV, attnPattern, attnZ, attnOut, residMid, mlpPost, mlpOut, residPost;

    public HookNames(int nLayers) {
        residPre = names(nLayers, "hook_resid_pre");
        attnQ = names(nLayers, "attn.hook_q");
        attnK = names(nLayers, "attn.hook_k");
        attnV = names(nLayers, "attn.hook_v");
        attnPattern = names(nLayers, "attn.hook_pattern");
        attnZ = names(nLayers, "attn.hook_z");
        attnOut = names(nLayers, "hook_attn_out");
        residMid = names(nLayers, "hook_resid_mid");
        mlpPost = names(nLayers, "mlp.hook_post");
        mlpOut = names(nLayers, "hook_mlp_out");
        residPost = names(nLayers, "hook_resid_post");
    }

    private static String[] names(int n, String suffix) {
        String[] out = new String[n];
        for (int l = 0; l < n; l++) out[l] = block(l, suffix);
        return out;
    }

    public static String block(int layer, String suffix) {
        return "blocks." + layer + "." + suffix;
    }
}
