using TreeReward.Data.Hub;

namespace TreeReward.Tests.Data.Hub;

public sealed class HubReferenceTests
{
    [Theory]
    [InlineData("hf://datasets/nvidia/HelpSteer2/validation.jsonl.gz", HubRepoType.Dataset, "nvidia/HelpSteer2", "validation.jsonl.gz", "main")]
    [InlineData("hf://datasets/nvidia/HelpSteer2/validation.jsonl.gz@990b27d3a5e5b4cdbd6dd3ac4e5c9f61f1bb1dd0", HubRepoType.Dataset, "nvidia/HelpSteer2", "validation.jsonl.gz", "990b27d3a5e5b4cdbd6dd3ac4e5c9f61f1bb1dd0")]
    [InlineData("hf://datasets/nvidia/HelpSteer2@v1.0/disagreements/disagreements.jsonl.gz", HubRepoType.Dataset, "nvidia/HelpSteer2", "disagreements/disagreements.jsonl.gz", "v1.0")]
    [InlineData("hf://datasets/allenai/reward-bench/data/filtered-00000-of-00001.parquet@refs/pr/1", HubRepoType.Dataset, "allenai/reward-bench", "data/filtered-00000-of-00001.parquet", "refs/pr/1")]
    [InlineData("hf://datasets/allenai/reward-bench@refs%2Fpr%2F1/data/filtered.parquet", HubRepoType.Dataset, "allenai/reward-bench", "data/filtered.parquet", "refs/pr/1")]
    [InlineData("hf://RLHFlow/Decision-Tree-Reward-Llama-3.1-8B/config.json", HubRepoType.Model, "RLHFlow/Decision-Tree-Reward-Llama-3.1-8B", "config.json", "main")]
    [InlineData("hf://models/RLHFlow/ArmoRM-Llama3-8B-v0.1/config.json@main", HubRepoType.Model, "RLHFlow/ArmoRM-Llama3-8B-v0.1", "config.json", "main")]
    [InlineData("hf://spaces/allenai/reward-bench/app.py", HubRepoType.Space, "allenai/reward-bench", "app.py", "main")]
    [InlineData("hf://datasets/o/n/a@b.txt@main", HubRepoType.Dataset, "o/n", "a@b.txt", "main")]
    public void Parse_reads_type_repo_path_and_revision(string text, HubRepoType type, string repo, string path, string revision)
    {
        var reference = HubReference.Parse(text);

        Assert.Equal(type, reference.RepoType);
        Assert.Equal(repo, reference.RepoId);
        Assert.Equal(path, reference.Path);
        Assert.Equal(revision, reference.Revision);
        Assert.Equal(reference, HubReference.Parse(reference.ToString()));
    }

    [Theory]
    [InlineData("datasets/nvidia/HelpSteer2/train.jsonl.gz", "does not start with hf://")]
    [InlineData("hf://datasets/nvidia/HelpSteer2", "no file path after ORG/NAME")]
    [InlineData("hf://datasets/nvidia", "no file path after ORG/NAME")]
    [InlineData("hf://datasets/nvidia/HelpSteer2/", "the file path is empty")]
    [InlineData("hf://datasets/nvidia/HelpSteer2/../../etc/passwd", "'..' segment")]
    [InlineData("hf://datasets/nvidia/HelpSteer2/a//b", "empty, '.' or '..' segment")]
    [InlineData("hf://datasets/nv--idia/HelpSteer2/a", "must not contain '--' or '..'")]
    [InlineData("hf://datasets/nvidia/Help Steer/a", "must be non-empty letters, digits")]
    [InlineData("hf://datasets/nvidia/HelpSteer2/a@", "the revision is empty")]
    [InlineData("hf://datasets/nvidia/HelpSteer2/a@../x", "revision '../x' has an empty, '.' or '..' segment")]
    public void Parse_rejects_malformed_references_saying_why(string text, string why)
    {
        var e = Assert.Throws<FormatException>(() => HubReference.Parse(text));

        Assert.Contains($"'{text}'", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains("expected hf://datasets/ORG/NAME/PATH[@REVISION]", e.Message);
        Assert.False(HubReference.TryParse(text, out _));
    }

    [Fact]
    public void Repository_parse_reads_the_cli_form_with_a_given_type()
    {
        var repo = HubRepository.Parse("nvidia/HelpSteer2@abc", HubRepoType.Dataset);

        Assert.Equal(new HubRepository(HubRepoType.Dataset, "nvidia/HelpSteer2", "abc"), repo);
        Assert.Equal("datasets--nvidia--HelpSteer2", repo.CacheFolderName);
        Assert.Equal("main", HubRepository.Parse("nvidia/HelpSteer2", HubRepoType.Model).Revision);
        Assert.Equal("models--nvidia--HelpSteer2", HubRepository.Parse("nvidia/HelpSteer2", HubRepoType.Model).CacheFolderName);
        Assert.True(HubRepository.Parse("o/n@" + new string('a', 40), HubRepoType.Dataset).IsCommitRevision);
        Assert.False(repo.IsCommitRevision);
    }

    [Theory]
    [InlineData("HelpSteer2", "is not of the form ORG/NAME")]
    [InlineData("nvidia/HelpSteer2/extra", "is not of the form ORG/NAME")]
    [InlineData("nvidia/HelpSteer2@", "the revision is empty")]
    [InlineData("nvidia/.HelpSteer2", "must not start or end with '-' or '.'")]
    public void Repository_parse_rejects_malformed_repos(string text, string why)
    {
        var e = Assert.Throws<FormatException>(() => HubRepository.Parse(text, HubRepoType.Dataset));

        Assert.Contains($"repository '{text}'", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Theory]
    [InlineData(HubRepoType.Dataset, "main", "data/train.jsonl.gz", "https://huggingface.co/datasets/o/n/resolve/main/data/train.jsonl.gz")]
    [InlineData(HubRepoType.Model, "main", "config.json", "https://huggingface.co/o/n/resolve/main/config.json")]
    [InlineData(HubRepoType.Space, "refs/pr/1", "a b/c#d.txt", "https://huggingface.co/spaces/o/n/resolve/refs%2Fpr%2F1/a%20b/c%23d.txt")]
    public void Resolve_url_follows_hf_hub_url(HubRepoType type, string revision, string path, string url)
    {
        var file = new HubRepository(type, "o/n", revision).File(path);

        Assert.Equal(url, HubClient.ResolveUrl(new Uri("https://huggingface.co/"), file).AbsoluteUri);
    }
}
