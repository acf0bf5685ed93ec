output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (for the load balancer), in the order of availability_zones."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (for the tasks, the database and the interface endpoints), in the order of availability_zones."
  value       = aws_subnet.private[*].id
}

output "availability_zones" {
  description = "Availability Zones the subnets are in."
  value       = local.azs
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways: one, or one per Availability Zone."
  value       = aws_nat_gateway.this[*].id
}

output "nat_public_ips" {
  description = "Public IPv4 addresses the private subnets reach the internet from, for partners' allow lists."
  value       = aws_eip.nat[*].public_ip
}

output "private_route_table_ids" {
  description = "IDs of the private route tables, one per Availability Zone."
  value       = aws_route_table.private[*].id
}

output "vpc_endpoint_security_group_id" {
  description = "ID of the security group of the interface VPC endpoints (HTTPS from the VPC CIDR)."
  value       = aws_security_group.vpc_endpoints.id
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group that holds the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "flow_log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group."
  value       = aws_kms_key.flow_logs.arn
}
