#!/usr/bin/env bash
# Installs the Bicep CLI (the native `bicep` binary that NuGet's Azure.Bicep.CommandLine.linux-x64 package
# carries) into .tools/bicep/<version>/ and prints its path. Skips the download when that binary is there; a
# restore that already ran leaves the package in ~/.nuget/packages, which the restore then reuses.
# Needs the .NET SDK (`dotnet`) and NuGet. Override the version with BICEP_VERSION.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${BICEP_VERSION:-0.49.2}"
package="azure.bicep.commandline.linux-x64"
dest=".tools/bicep/${version}"
if [ -x "${dest}/bicep" ]; then
  echo "${PWD}/${dest}/bicep"
  exit 0
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-bicep: dotnet not found: install the .NET SDK, or install the Bicep CLI yourself (az bicep install) and set BICEP_CLI" >&2
  exit 1
fi
# PackageDownload needs a target framework; any the installed SDK knows will do.
tfm="net$(dotnet --version | cut -d. -f1).0"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# A throwaway project whose only job is to make NuGet download the package (PackageDownload: no reference).
cat >"${work}/fetch.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>${tfm}</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[${version}]" /></ItemGroup>
</Project>
CSPROJ
packages="${NUGET_PACKAGES:-${HOME}/.nuget/packages}"
dotnet restore "${work}/fetch.csproj" --packages "${packages}" >"${work}/restore.log" 2>&1 || {
  cat "${work}/restore.log" >&2
  echo "install-bicep: dotnet restore of ${package} ${version} failed" >&2
  exit 1
}
binary="$(find "${packages}/${package}/${version}" -type f -name bicep | head -n 1)"
if [ -z "${binary}" ]; then
  echo "install-bicep: no bicep binary in ${packages}/${package}/${version}" >&2
  exit 1
fi
mkdir -p "${dest}"
cp "${binary}" "${dest}/bicep"
chmod +x "${dest}/bicep"
echo "${PWD}/${dest}/bicep"
