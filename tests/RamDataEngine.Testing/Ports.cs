using System.Net;
using System.Net.Sockets;

namespace RamDataEngine.Testing;

/// <summary>Free loopback ports for silos and hosts started by tests.</summary>
public static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
