namespace TreeReward.Tests;

/// <summary>Paths into ../shared/data (next to the repository; CI lays it there).</summary>
public static class SharedData
{
    public static string Path(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return System.IO.Path.Combine(candidate, relative);
        }
        throw new DirectoryNotFoundException($"shared/data not found above {AppContext.BaseDirectory}; clone the repository next to shared/");
    }
}
