# Unit tests of the network module with a mocked AWS provider. Data sources
# get realistic values so that names, ARNs and policies can be checked.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vpc-flow-logs/hello-service-test"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/hello-service-test-vpc-flow-logs"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/0d7e7a8c-1111-2222-3333-444455556666"
    }
  }
}

variables {
  name = "hello-service-test"
}

run "defaults_make_two_azs_with_a_nat_each" {
  command = plan

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "The default az_count of 2 must make two public and two private subnets."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 2 && length(aws_eip.nat) == 2
    error_message = "Without single_nat_gateway there must be one NAT gateway (and EIP) per AZ."
  }

  assert {
    condition     = output.availability_zones == tolist(["eu-west-1a", "eu-west-1b"])
    error_message = "The first two available AZs must be used."
  }

  assert {
    condition     = aws_subnet.private[*].cidr_block == ["10.0.0.0/19", "10.0.32.0/19"]
    error_message = "Private subnets must be the first /19 blocks of 10.0.0.0/16."
  }

  assert {
    condition     = aws_subnet.public[*].cidr_block == ["10.0.224.0/22", "10.0.228.0/22"]
    error_message = "Public subnets must be /22 blocks in the last eighth of 10.0.0.0/16."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "Public subnets must not hand out public IPs automatically."
  }

  assert {
    condition     = aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "DNS support and host names must be on for private DNS of the interface endpoints."
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must have no rules."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.log_destination_type == "cloud-watch-logs"
    error_message = "The flow log must capture ALL traffic into CloudWatch Logs."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.retention_in_days == 30 && aws_cloudwatch_log_group.flow_logs.name == "/aws/vpc-flow-logs/hello-service-test"
    error_message = "The flow log group must be named after the module and keep 30 days by default."
  }

  assert {
    condition     = aws_kms_key.flow_logs.enable_key_rotation
    error_message = "The flow log key must rotate."
  }
}

run "three_azs_route_each_private_subnet_through_its_own_nat" {
  command = apply

  variables {
    az_count = 3
  }

  assert {
    condition     = length(distinct(aws_subnet.private[*].availability_zone)) == 3 && length(distinct(aws_subnet.public[*].availability_zone)) == 3
    error_message = "Each subnet of a tier must be in a different AZ."
  }

  assert {
    condition     = length(output.nat_gateway_ids) == 3
    error_message = "Three AZs without single_nat_gateway must make three NAT gateways."
  }

  assert {
    condition     = alltrue([for i in range(3) : aws_route.private_nat[i].nat_gateway_id == aws_nat_gateway.this[i].id])
    error_message = "Each private route table must use the NAT gateway of its own AZ."
  }

  assert {
    condition     = alltrue([for i in range(3) : aws_nat_gateway.this[i].subnet_id == aws_subnet.public[i].id])
    error_message = "Each NAT gateway must sit in the public subnet of its AZ."
  }

  assert {
    condition     = alltrue([for i in range(3) : aws_route_table_association.private[i].route_table_id == aws_route_table.private[i].id && aws_route_table_association.private[i].subnet_id == aws_subnet.private[i].id])
    error_message = "Each private subnet must use the private route table of its AZ."
  }

  assert {
    condition     = aws_route.public_internet.gateway_id == aws_internet_gateway.this.id && aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "The public route table must send the default route to the internet gateway."
  }
}

run "single_nat_gateway_serves_every_az" {
  command = apply

  variables {
    az_count           = 3
    single_nat_gateway = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_eip.nat) == 1
    error_message = "single_nat_gateway must make exactly one NAT gateway and one EIP."
  }

  assert {
    condition     = length(aws_route_table.private) == 3
    error_message = "There must still be one private route table per AZ."
  }

  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this[0].id])
    error_message = "Every private route table must use the single NAT gateway."
  }
}

run "endpoints_are_private_and_reachable_only_on_443_from_the_vpc" {
  command = apply

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-west-1.s3"
    error_message = "S3 must be a Gateway endpoint."
  }

  assert {
    condition     = toset(aws_vpc_endpoint.s3.route_table_ids) == toset(aws_route_table.private[*].id)
    error_message = "The S3 Gateway endpoint must be on every private route table (and only those)."
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs", "secretsmanager"])
    error_message = "The default interface endpoints must be ecr.api, ecr.dkr, logs and secretsmanager."
  }

  assert {
    condition = alltrue([
      for k, e in aws_vpc_endpoint.interface :
      e.vpc_endpoint_type == "Interface" &&
      e.private_dns_enabled &&
      e.service_name == "com.amazonaws.eu-west-1.${k}" &&
      toset(e.subnet_ids) == toset(aws_subnet.private[*].id) &&
      toset(e.security_group_ids) == toset([aws_security_group.vpc_endpoints.id])
    ])
    error_message = "Each interface endpoint must have private DNS, live in the private subnets and use the endpoint security group."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.vpc_endpoints_https.from_port == 443 &&
      aws_vpc_security_group_ingress_rule.vpc_endpoints_https.to_port == 443 &&
      aws_vpc_security_group_ingress_rule.vpc_endpoints_https.ip_protocol == "tcp" &&
      aws_vpc_security_group_ingress_rule.vpc_endpoints_https.cidr_ipv4 == "10.0.0.0/16" &&
      aws_vpc_security_group_ingress_rule.vpc_endpoints_https.security_group_id == output.vpc_endpoint_security_group_id
    )
    error_message = "The endpoint security group must allow TCP 443 from the VPC CIDR only."
  }
}

run "custom_endpoint_list" {
  command = plan

  variables {
    interface_endpoint_services = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "xray", "monitoring"]
  }

  assert {
    condition     = length(aws_vpc_endpoint.interface) == 6 && aws_vpc_endpoint.interface["xray"].service_name == "com.amazonaws.eu-west-1.xray"
    error_message = "Every listed service must get an interface endpoint."
  }
}

run "no_interface_endpoints" {
  command = plan

  variables {
    interface_endpoint_services = []
  }

  assert {
    condition     = length(aws_vpc_endpoint.interface) == 0 && aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "An empty list must make no interface endpoint but keep the S3 Gateway endpoint."
  }
}

run "flow_log_permissions_name_the_log_group" {
  command = apply

  assert {
    condition = alltrue([
      for r in flatten([for s in jsondecode(aws_iam_role_policy.flow_logs.policy).Statement : s.Resource if s.Sid == "WriteTheFlowLogGroup"]) :
      startswith(r, "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vpc-flow-logs/hello-service-test")
    ])
    error_message = "The flow log role may write only to its own log group."
  }

  assert {
    condition     = jsondecode(aws_iam_role.flow_logs.assume_role_policy).Statement[0].Principal.Service == "vpc-flow-logs.amazonaws.com"
    error_message = "Only the VPC flow logs service may assume the flow log role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.flow_logs.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "The flow log role trust must be limited to this account."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_kms_key.flow_logs.policy).Statement : s.Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"]
      if s.Sid == "CloudWatchLogsEncryptsTheFlowLogGroup"
    ]) == "arn:aws:logs:eu-west-1:123456789012:log-group:${aws_cloudwatch_log_group.flow_logs.name}"
    error_message = "CloudWatch Logs may use the key only for the flow log group."
  }
}

run "too_few_availability_zones_in_the_region" {
  command = plan

  variables {
    az_count = 3
  }

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names = ["eu-west-1a", "eu-west-1b"]
    }
  }

  expect_failures = [aws_vpc.this]
}

run "rejects_one_az" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}

run "rejects_seven_azs" {
  command = plan

  variables {
    az_count = 7
  }

  expect_failures = [var.az_count]
}

run "rejects_fractional_az_count" {
  command = plan

  variables {
    az_count = 2.5
  }

  expect_failures = [var.az_count]
}

run "rejects_a_vpc_larger_than_16" {
  command = plan

  variables {
    cidr_block = "10.0.0.0/8"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_a_vpc_smaller_than_21" {
  command = plan

  variables {
    cidr_block = "10.0.0.0/24"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_host_bits_in_the_cidr" {
  command = plan

  variables {
    cidr_block = "10.0.1.0/16"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_a_non_cidr" {
  command = plan

  variables {
    cidr_block = "not-a-cidr"
  }

  expect_failures = [var.cidr_block]
}

run "accepts_a_21" {
  command = plan

  variables {
    cidr_block = "172.16.8.0/21"
  }

  assert {
    condition     = aws_subnet.public[*].cidr_block == ["172.16.15.0/27", "172.16.15.32/27"] && aws_subnet.private[*].cidr_block == ["172.16.8.0/24", "172.16.9.0/24"]
    error_message = "A /21 VPC must get /24 private and /27 public subnets."
  }
}

run "rejects_a_retention_cloudwatch_does_not_accept" {
  command = plan

  variables {
    flow_log_retention_days = 42
  }

  expect_failures = [var.flow_log_retention_days]
}

run "rejects_s3_as_an_interface_endpoint" {
  command = plan

  variables {
    interface_endpoint_services = ["ecr.api", "s3"]
  }

  expect_failures = [var.interface_endpoint_services]
}

run "rejects_duplicate_endpoints" {
  command = plan

  variables {
    interface_endpoint_services = ["logs", "logs"]
  }

  expect_failures = [var.interface_endpoint_services]
}

run "rejects_a_full_service_name" {
  command = plan

  variables {
    interface_endpoint_services = ["com.amazonaws.eu-west-1.logs "]
  }

  expect_failures = [var.interface_endpoint_services]
}

run "rejects_a_bad_name" {
  command = plan

  variables {
    name = "Hello_Service"
  }

  expect_failures = [var.name]
}
