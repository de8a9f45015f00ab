package steerscope.model;

/**
 * TransformerLens hook-point names: the suffix of each per-block point, and the full names per layer, built once
 * so the forward pass never formats strings.
 */
public final class HookNames {
    public static final String EMBED = "hook_embed";
    public static final String LN_FINAL = "ln_final.hook_normalized";

    public static final String RESID_PRE = "hook_resid_pre", ATTN_Q = "attn.hook_q", ATTN_K = "attn.hook_k", ATTN_V = "attn.hook_v",
            ATTN_PATTERN = "attn.hook_pattern", ATTN_Z = "attn.hook_z", ATTN_OUT = "hook_attn_out", RESID_MID = "hook_resid_mid",
            MLP_POST = "mlp.hook_post", MLP_OUT = "hook_mlp_out", RESID_POST = "hook_resid_post";

    public final String[] residPre, attnQ, attnK, attnV, attnPattern, attnZ, attnOut, residMid, mlpPost, mlpOut, residPost;

    public HookNames(int nLayers) {
        residPre = names(nLayers, RESID_PRE);
        attnQ = names(nLayers, ATTN_Q);
        attnK = names(nLayers, ATTN_K);
        attnV = names(nLayers, ATTN_V);
        attnPattern = names(nLayers, ATTN_PATTERN);
        attnZ = names(nLayers, ATTN_Z);
        attnOut = names(nLayers, ATTN_OUT);
        residMid = names(nLayers, RESID_MID);
        mlpPost = names(nLayers, MLP_POST);
        mlpOut = names(nLayers, MLP_OUT);
        residPost = names(nLayers, RESID_POST);
    }

    private static String[] names(int n, String suffix) {
        String[] out = new String[n];
        for (int l = 0; l < n; l++) out[l] = block(l, suffix);
        return out;
    }

    public static String block(int layer, String suffix) {
        return "blocks." + layer + "." + suffix;
    }

    /** Whether a full name is the given point of some block (e.g. {@code isPoint(name, RESID_POST)}). */
    public static boolean isPoint(String name, String suffix) {
        return name.startsWith("blocks.") && name.endsWith("." + suffix);
    }
}
