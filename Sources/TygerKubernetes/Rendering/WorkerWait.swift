/// The job's init container that holds the job back until every endpoint of every worker
/// replica accepts TCP connections ("up" means accepting connections, not only started).
///
/// The script is fixed text of ours, never codespec input; what varies is passed as
/// arguments, so the container's size does not grow with the replica count:
/// `sh -c <script> wait-for-workers <replicas> <host prefix> <host suffix> <port>...`, the
/// host of replica `i` being `<prefix><i><suffix>`. For each replica in order, and each
/// port, it runs `nc -z -w 1 <host> <port>` until that succeeds, sleeping a second between
/// tries. A worker codespec without endpoints has nothing to connect to: the script then
/// waits until each replica's name resolves (`nslookup`), which happens once the pod has an
/// address. It prints which address it waits for (on the first try and every 30th) and a
/// line per ready replica.
enum WorkerWait {
    /// The init container's name.
    static let containerName = "wait-for-workers"

    /// POSIX `sh`, so it runs in BusyBox `ash` and in `dash` (which the tests use).
    static let script = """
        count=$1 prefix=$2 suffix=$3
        shift 3
        wait_for() {
          tries=0
          until "$@" >/dev/null 2>&1; do
            if [ $((tries % 30)) -eq 0 ]; then echo "waiting for $what (try $((tries + 1)))"; fi
            tries=$((tries + 1))
            sleep 1
          done
        }
        i=0
        while [ "$i" -lt "$count" ]; do
          host="$prefix$i$suffix"
          if [ "$#" -eq 0 ]; then
            what="$host to resolve"
            wait_for nslookup "$host"
          fi
          for port in "$@"; do
            what="$host:$port"
            wait_for nc -z -w 1 "$host" "$port"
          done
          i=$((i + 1))
          echo "worker replica $((i - 1)) is ready ($i of $count)"
        done
        echo "all $count worker replicas are ready"
        """

    /// The init container for `replicas` workers reached as `<prefix><i><suffix>` on `ports`.
    static func container(image: String, replicas: Int, hostPrefix: String, hostSuffix: String, ports: [Int])
        -> Container
    {
        Container(
            name: containerName,
            image: image,
            command: ["sh", "-c", script, containerName],
            args: ["\(replicas)", hostPrefix, hostSuffix] + ports.map(String.init)
        )
    }
}
