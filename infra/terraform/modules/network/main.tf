# Only real Availability Zones: Local and Wavelength Zones an account has
# opted into would otherwise sort before them ("us-west-2-lax-1a" < "us-west-2a").
# There is deliberately no state filter: an AZ that is impaired for a while
# must not shift the list and make Terraform replace the subnets of the others.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394: The module takes the first az_count zones in name order and AWS adds new zones under later letters, so a new zone never changes the chosen set; pinning zone names would tie the module to one region.
  filter {
    name   = "zone-type"
    values = ["availability-zone"]
  }
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, min(var.az_count, length(data.aws_availability_zones.available.names)))

  # The VPC is cut into eight equal blocks. Each private subnet takes a whole
  # block (up to six), because that is where the tasks, the database and the
  # interface endpoints live and use addresses; the public subnets only hold
  # the load balancer and the NAT gateways, so they share the last block, cut
  # eight ways. The seventh block stays free for later use (for example
  # dedicated database subnets). For a /16: private /19s, public /22s.
  private_subnet_cidrs = [for i in range(length(local.azs)) : cidrsubnet(var.cidr_block, 3, i)]
  public_subnet_cidrs  = [for i in range(length(local.azs)) : cidrsubnet(var.cidr_block, 6, 56 + i)]

  nat_gateway_count = var.single_nat_gateway ? 1 : length(local.azs)
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr_block

  # Both are needed for the private DNS names of the interface endpoints.
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = var.name
  }

  lifecycle {
    precondition {
      condition     = length(data.aws_availability_zones.available.names) >= var.az_count
      error_message = "az_count is ${var.az_count}, but the region has only ${length(data.aws_availability_zones.available.names)} Availability Zones."
    }
  }
}

# Taking over the default security group with no rules removes the
# allow-all rules AWS gives it, so nothing that is launched without an
# explicit security group can talk to anything. The empty lists (rather than
# leaving the arguments out) make Terraform also remove rules someone adds later.
resource "aws_default_security_group" "this" {
  vpc_id  = aws_vpc.this.id
  ingress = []
  egress  = []

  tags = {
    Name = "${var.name}-default-deny"
  }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "public" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.public_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index]

  # Nothing in the public subnets needs an automatic public IP: the NAT
  # gateways use Elastic IPs and the ALB gets its addresses from AWS.
  map_public_ip_on_launch = false

  tags = {
    Name = "${var.name}-public-${local.azs[count.index]}"
    Tier = "public"
  }
}

resource "aws_subnet" "private" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.private_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = {
    Name = "${var.name}-private-${local.azs[count.index]}"
    Tier = "private"
  }
}

resource "aws_eip" "nat" {
  count = local.nat_gateway_count

  domain = "vpc"

  tags = {
    Name = "${var.name}-nat-${local.azs[count.index]}"
  }

  # An EIP in a VPC can only be associated once the VPC has an internet gateway.
  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_gateway_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = {
    Name = "${var.name}-${local.azs[count.index]}"
  }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = "${var.name}-public"
  }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = length(local.azs)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One private route table per AZ even with a single NAT gateway, so that
# switching single_nat_gateway off later only changes routes, not tables
# or subnet associations.
resource "aws_route_table" "private" {
  count = length(local.azs)

  vpc_id = aws_vpc.this.id

  tags = {
    Name = "${var.name}-private-${local.azs[count.index]}"
  }
}

resource "aws_route" "private_nat" {
  count = length(local.azs)

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count = length(local.azs)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}
