namespace TreeReward.Rating;

/// <summary>The five (or however many the head has) ratings of one response, with what the encoder saw.</summary>
/// <param name="Values">One rating per attribute of <see cref="AttributeRater.Attributes"/>, on the human 0..4 scale (not clipped).</param>
/// <param name="Tokens">Tokens the encoder read.</param>
/// <param name="DroppedTokens">Tokens dropped from the start of the conversation to fit the context (0 normally).</param>
public sealed record AttributeScores(IReadOnlyList<double> Values, int Tokens, int DroppedTokens)
{
    public bool Truncated => DroppedTokens > 0;
}

/// <summary>
/// Rates responses on the HelpSteer2 attributes: encoder → embedding → <see cref="RatingHead"/> (REFERENCE.md item 1).
/// Thread-safe when the encoder is. Disposes neither the encoder nor anything else: the creator owns them.
/// </summary>
public sealed class AttributeRater
{
    public AttributeRater(ITextEncoder encoder, RatingHead head)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(head);
        if (encoder.Info.Dimension != head.InputDimension)
            throw new ArgumentException($"the head reads vectors of dimension {head.InputDimension}; encoder '{encoder.Info.Id}' makes {encoder.Info.Dimension}", nameof(head));
        Encoder = encoder;
        Head = head;
    }

    public ITextEncoder Encoder { get; }
    public RatingHead Head { get; }
    public IReadOnlyList<string> Attributes => Head.Attributes;

    /// <exception cref="ModelInputException">An input is empty, or too long under <see cref="TruncationPolicy.Error"/>.</exception>
    public async Task<IReadOnlyList<AttributeScores>> RateAsync(IReadOnlyList<EncoderInput> inputs, CancellationToken cancellationToken = default)
    {
        var embeddings = await Encoder.EncodeAsync(inputs, cancellationToken).ConfigureAwait(false);
        return Score(Head, embeddings);
    }

    /// <summary>Applies the head to embeddings already computed (e.g. from the cache).</summary>
    public static AttributeScores[] Score(RatingHead head, IReadOnlyList<Embedding> embeddings)
    {
        int a = head.Attributes.Count;
        var result = new AttributeScores[embeddings.Count];
        for (int i = 0; i < embeddings.Count; i++)
        {
            var values = new double[a];
            head.Predict(embeddings[i].Vector, values);
            result[i] = new AttributeScores(values, embeddings[i].Tokens, embeddings[i].DroppedTokens);
        }
        return result;
    }
}
